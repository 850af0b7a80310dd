import test from 'ava';
import {
  buildSpec, cgroupResources, effectiveCapabilities, milliCpuToQuota, milliCpuToShares, capabilitiesFromMask,
  hostBoundingCapabilities, DEFAULT_CAPABILITIES, MASKED_PATHS, READONLY_PATHS, type SpecInput,
} from './spec.js';
import { mergeEnv, resolveArgv, resolveUser, ContainerConfigError } from './image-config.js';

const base: SpecInput = {
  args: ['sh'], env: ['PATH=/bin'], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [] }, hostname: 'web-1',
  rootfs: 'rootfs', readonlyRootfs: false, privileged: false, capabilities: [...DEFAULT_CAPABILITIES], noNewPrivileges: true,
  network: { kind: 'path', path: '/run/netns/p' }, ipc: { kind: 'path', path: '/x/ipc' }, pid: { kind: 'new' }, uts: { kind: 'new' },
  mounts: [], resources: {}, cgroupsPath: '/tugboat/c1',
};

test('a default container: runc hardening, pod namespaces joined, its own pid/mount/uts', (t) => {
  const s = buildSpec(base);
  t.deepEqual(s.linux.namespaces, [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'ipc', path: '/x/ipc' }, { type: 'network', path: '/run/netns/p' }]);
  t.deepEqual(s.linux.maskedPaths, MASKED_PATHS);
  t.deepEqual(s.linux.readonlyPaths, READONLY_PATHS);
  t.true(s.process.noNewPrivileges);
  t.is(s.hostname, 'web-1');
  t.deepEqual(s.process.capabilities.bounding, [...DEFAULT_CAPABILITIES]);
  t.deepEqual(s.process.capabilities.ambient, []);
  t.true(s.mounts.some((m) => m.destination === '/sys' && m.options?.includes('ro')));
  t.deepEqual(s.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
});

test('host namespaces are left out; mounts replace defaults and parents come first', (t) => {
  const s = buildSpec({
    ...base, network: { kind: 'host' }, uts: { kind: 'host' },
    mounts: [
      { destination: '/data/sub', type: 'bind', source: '/b' },
      { destination: '/data', type: 'bind', source: '/a' },
      { destination: '/dev/shm', type: 'bind', source: '/pod/shm' },
    ],
  });
  t.deepEqual(s.linux.namespaces.map((n) => n.type), ['pid', 'mount', 'ipc']);
  t.is(s.hostname, undefined, 'no UTS namespace of its own: no hostname to set');
  const dests = s.mounts.map((m) => m.destination);
  t.true(dests.indexOf('/data') < dests.indexOf('/data/sub'));
  t.is(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
  t.is(s.mounts.find((m) => m.destination === '/dev/shm')?.source, '/pod/shm');
});

test('privileged: every allowed capability, no masked paths, devices allowed, /sys writable', (t) => {
  const s = buildSpec({ ...base, privileged: true, allowedCapabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN'] });
  t.deepEqual(s.process.capabilities.effective, ['CAP_CHOWN', 'CAP_SYS_ADMIN']);
  t.is(s.linux.maskedPaths, undefined);
  t.deepEqual(s.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  t.true(s.mounts.some((m) => m.destination === '/sys' && m.options?.includes('rw')));
});

test('cpu and memory as kubelet converts them', (t) => {
  t.is(milliCpuToShares(undefined), 2);
  t.is(milliCpuToShares(200), 204);
  t.is(milliCpuToShares(1000), 1024);
  t.is(milliCpuToShares(1), 2);
  t.is(milliCpuToQuota(200), 20_000);
  t.is(milliCpuToQuota(5), 1_000, 'at least 1 ms');
  t.is(milliCpuToQuota(undefined), undefined);
  t.deepEqual(cgroupResources({ cpuLimitMilli: 500, memoryLimitBytes: 33554432 }), { cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, memoryLimit: 33554432 });
  const s = buildSpec({ ...base, resources: cgroupResources({ cpuRequestMilli: 100, cpuLimitMilli: 200, memoryLimitBytes: 1 << 25 }) });
  t.deepEqual(s.linux.resources.cpu, { shares: 102, quota: 20_000, period: 100_000 });
  t.deepEqual(s.linux.resources.memory, { limit: 1 << 25 });
});

test('capabilities: add and drop, ALL, and the node’s own bounding set', (t) => {
  t.deepEqual(effectiveCapabilities(), [...DEFAULT_CAPABILITIES].sort());
  const c = effectiveCapabilities(['NET_ADMIN', 'cap_sys_time'], ['CHOWN', 'CAP_KILL']);
  t.true(c.includes('CAP_NET_ADMIN') && c.includes('CAP_SYS_TIME'));
  t.false(c.includes('CAP_CHOWN') || c.includes('CAP_KILL'));
  t.deepEqual(effectiveCapabilities([], ['ALL']), []);
  t.deepEqual(effectiveCapabilities(['NET_BIND_SERVICE'], ['ALL']), ['CAP_NET_BIND_SERVICE']);
  t.deepEqual(effectiveCapabilities(['ALL'], [], ['CAP_CHOWN', 'CAP_BPF']).filter((x) => x === 'CAP_BPF' || x === 'CAP_SYS_ADMIN'), ['CAP_BPF']);
  t.throws(() => effectiveCapabilities(['BOGUS']), { message: /unknown capability "CAP_BOGUS"/ });
  t.deepEqual(capabilitiesFromMask('a80425fb').sort(), [...DEFAULT_CAPABILITIES].sort(), 'Docker’s default mask');
  t.false(hostBoundingCapabilities('CapBnd:\t000001fffeffffff\n').includes('CAP_SYS_RESOURCE'));
});

test('command and args follow Kubernetes over the image’s Entrypoint and Cmd', (t) => {
  t.deepEqual(resolveArgv([], [], ['/entry'], ['cmd']), ['/entry', 'cmd']);
  t.deepEqual(resolveArgv([], ['a'], ['/entry'], ['cmd']), ['/entry', 'a']);
  t.deepEqual(resolveArgv(['/bin/x'], [], ['/entry'], ['cmd']), ['/bin/x']);
  t.deepEqual(resolveArgv(['/bin/x'], ['y'], null, null), ['/bin/x', 'y']);
  t.deepEqual(resolveArgv([], [], null, ['sh']), ['sh']);
  t.throws(() => resolveArgv([], [], null, null), { instanceOf: ContainerConfigError, message: /no command specified/ });
});

test('the environment: defaults, then the image’s, then the container’s', (t) => {
  t.deepEqual(mergeEnv(['PATH=/img', 'A=1', 'EMPTY'], [{ name: 'A', value: '2' }, { name: 'B', value: 'x=y' }], { PATH: '/default', HOSTNAME: 'h' }),
    ['PATH=/img', 'HOSTNAME=h', 'A=2', 'EMPTY=', 'B=x=y']);
});

const passwd = 'root:x:0:0:root:/root:/bin/sh\nuser:x:1000:1000::/home/user:/bin/sh\nweb:x:33:33::/var/www:/bin/false\n';
const group = 'root:x:0:\nuser:x:1000:\nwww:x:33:user\naudio:x:29:user,web\n';

test('users resolve against the image’s passwd and group files', (t) => {
  t.deepEqual(resolveUser({ passwd, group }), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  t.deepEqual(resolveUser({ imageUser: 'user', passwd, group }), { uid: 1000, gid: 1000, additionalGids: [29, 33], home: '/home/user' });
  t.deepEqual(resolveUser({ imageUser: 'web:audio', passwd, group }), { uid: 33, gid: 29, additionalGids: [], home: '/var/www' });
  t.deepEqual(resolveUser({ imageUser: '4000:4001', passwd, group }), { uid: 4000, gid: 4001, additionalGids: [] });
  t.deepEqual(resolveUser({ imageUser: 'user', runAsUser: 33, passwd, group }), { uid: 33, gid: 33, additionalGids: [29], home: '/var/www' }, 'runAsUser overrides the image user');
  t.deepEqual(resolveUser({ runAsUser: 5, runAsGroup: 6, supplementalGroups: [7, 6], passwd, group }), { uid: 5, gid: 6, additionalGids: [7] });
  t.throws(() => resolveUser({ imageUser: 'nobody', passwd, group }), { message: 'unable to find user nobody: no matching entries in passwd file' });
  t.throws(() => resolveUser({ imageUser: 'user:nogroup', passwd, group }), { message: /unable to find group nogroup/ });
});
