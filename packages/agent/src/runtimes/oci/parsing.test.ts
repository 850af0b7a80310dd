// The small parsers and renderers of the oci runtime: cgroup files, conmon and runc output,
// CNI configuration, a pod's /etc files, volume projections.
import test from 'ava';
import { parseKeyValues, resolveCgroupPaths } from './cgroups.js';
import { execExitCode, parseSyncMessage, runtimeMessage } from './runc.js';
import { bridgeName, cniConfList, hostsFile, podGateway } from './network.js';
import { projectKeys, volumeMountsFor } from './volumes.js';
import { podPortMappings } from './sandbox.js';

const hybridMountInfo = [
  '30 25 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '31 30 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '32 30 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct',
  '33 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n');

test('cgroup v1 (hybrid) paths come from /proc/<pid>/cgroup and the mount table', (t) => {
  const proc = '4:memory:/tugboat/abc\n2:cpuacct:/tugboat/abc\n1:cpu:/tugboat/abc\n0::/tugboat/abc\n';
  t.deepEqual(resolveCgroupPaths(proc, hybridMountInfo), {
    version: 1, cpu: '/sys/fs/cgroup/cpu/tugboat/abc', cpuacct: '/sys/fs/cgroup/cpuacct/tugboat/abc', memory: '/sys/fs/cgroup/memory/tugboat/abc',
  });
  // A combined cpu,cpuacct hierarchy, and a mount rooted below the hierarchy's root.
  const combined = [
    '40 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct',
    '41 30 0:32 /outer /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
  ].join('\n');
  t.deepEqual(resolveCgroupPaths('3:cpu,cpuacct:/x\n4:memory:/outer/x\n', combined), {
    version: 1, cpu: '/sys/fs/cgroup/cpu,cpuacct/x', cpuacct: '/sys/fs/cgroup/cpu,cpuacct/x', memory: '/sys/fs/cgroup/memory/x',
  });
});

test('cgroup v2 paths', (t) => {
  const mi = '25 1 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate';
  t.deepEqual(resolveCgroupPaths('0::/tugboat/abc\n', mi), {
    version: 2, cpu: '/sys/fs/cgroup/tugboat/abc', cpuacct: '/sys/fs/cgroup/tugboat/abc', memory: '/sys/fs/cgroup/tugboat/abc',
  });
});

test('cgroup key-value files', (t) => {
  const kv = parseKeyValues('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
  t.is(kv.get('oom_kill'), 2);
  t.is(parseKeyValues('usage_usec 1234\nnr_throttled 5\n').get('nr_throttled'), 5);
});

test('conmon sync messages, escaped or not', (t) => {
  t.deepEqual(parseSyncMessage('{"data": 4242}'), { pid: 4242 });
  t.deepEqual(parseSyncMessage('{"data": -1, "message": "exec: \\"nope\\": not found"}'), { pid: -1, message: 'exec: "nope": not found' });
  const raw = parseSyncMessage('{"data": -1, "message": "time="x" level=error msg="boom""}');
  t.is(raw.pid, -1);
  t.is(runtimeMessage(raw.message ?? ''), 'boom');
});

test('runc error output becomes one line', (t) => {
  t.is(runtimeMessage('time="2024-01-01T00:00:00Z" level=error msg="container \\"x\\" does not exist"\n'), 'container "x" does not exist');
  t.is(runtimeMessage('{"level":"error","msg":"oops"}\nplain text\n'), 'oops; plain text');
});

test('the node’s CNI network: bridge + host-local on the pod CIDR, portmap when it can', (t) => {
  const list = cniConfList({ podCIDR: '198.18.3.0/24', bridge: 'tb-1', networkName: 'tugboat-1', ipamDataDir: '/d', pluginDirs: [], ipMasq: true, portMap: true });
  t.is(list.cniVersion, '1.0.0');
  t.deepEqual(list.plugins.map((p) => p.type), ['bridge', 'portmap']);
  t.deepEqual((list.plugins[0]!.ipam as { ranges: unknown }).ranges, [[{ subnet: '198.18.3.0/24' }]]);
  const noIptables = cniConfList({ podCIDR: '198.18.3.0/24', bridge: 'tb-1', networkName: 'n', ipamDataDir: '/d', pluginDirs: [], ipMasq: false, portMap: false });
  t.deepEqual(noIptables.plugins.map((p) => p.type), ['bridge']);
  t.true(bridgeName('node-1').length <= 15);
  t.not(bridgeName('node-1'), bridgeName('node-2'));
  t.not(bridgeName('node-1', '198.18.1.0/24'), bridgeName('node-1', '198.18.251.0/24'), 'two clusters\' node-1 on different pod networks');
  t.is(bridgeName('node-1', '198.18.1.0/24'), bridgeName('node-1', '198.18.1.0/24'));
});

test('a pod’s /etc/hosts', (t) => {
  const hosts = hostsFile('198.18.3.7', 'web-0', [{ ip: '10.0.0.1', hostnames: ['db', 'db.local'] }]);
  t.regex(hosts, /^127\.0\.0\.1\tlocalhost$/m);
  t.regex(hosts, /^198\.18\.3\.7\tweb-0$/m);
  t.regex(hosts, /^10\.0\.0\.1\tdb\tdb\.local$/m);
  // resolv.conf: network/pod-dns.test.ts.
});

test('configMap and secret projections: all keys, or the listed items with their modes', (t) => {
  const data = { a: Buffer.from('1'), b: Buffer.from('2') };
  t.deepEqual(projectKeys(data, undefined, 0o644, 'cm', false).map((f) => [f.path, f.mode]), [['a', 0o644], ['b', 0o644]]);
  t.deepEqual(projectKeys(data, [{ key: 'b', path: 'dir/b.txt', mode: 0o600 }], 0o644, 'cm', false).map((f) => [f.path, f.mode]), [['dir/b.txt', 0o600]]);
  t.throws(() => projectKeys(data, [{ key: 'zz', path: 'z' }], 0o644, 'configmap "x"', false), { message: 'configmap "x" has no key "zz"' });
  t.deepEqual(projectKeys(data, [{ key: 'zz', path: 'z' }], 0o644, 'cm', true), []);
  t.throws(() => projectKeys(data, [{ key: 'a', path: '../escape' }], 0o644, 'cm', false), { message: /may not contain '..'/ });
});

test('volume mounts: read-only where asked or always (configMap), subPath, unknown volumes named', (t) => {
  const vols = new Map([
    ['data', { name: 'data', hostPath: '/v/data', forceReadOnly: false }],
    ['cfg', { name: 'cfg', hostPath: '/v/cfg', forceReadOnly: true }],
  ]);
  t.deepEqual(volumeMountsFor('app', [{ name: 'data', mountPath: '/d', subPath: 'sub' }, { name: 'cfg', mountPath: '/c' }], vols), [
    { destination: '/d', type: 'bind', source: '/v/data/sub', options: ['rbind', 'rprivate', 'rw'] },
    { destination: '/c', type: 'bind', source: '/v/cfg', options: ['rbind', 'rprivate', 'ro'] },
  ]);
  t.throws(() => volumeMountsFor('app', [{ name: 'nope', mountPath: '/n' }], vols), { message: 'container "app": volumeMounts[0].name: volume "nope" is not defined in spec.volumes' });
});

test('hostPorts of a pod', (t) => {
  t.deepEqual(podPortMappings({ containers: [{ name: 'a', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 53, hostPort: 5353, protocol: 'UDP' }, { containerPort: 9 }] }] }), [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostPort: 5353, containerPort: 53, protocol: 'udp' },
  ]);
});

test('exec exit codes: 127 not found, 126 not executable, the command\'s own code otherwise', (t) => {
  const runc = (what: string): string => `time="2026-11-23T15:46:14Z" level=error msg="exec failed: unable to start container process: exec: \\"x\\": ${what}"\n`;
  t.is(execExitCode(255, runc('executable file not found in $PATH')), 127);
  t.is(execExitCode(255, runc('stat /x: no such file or directory')), 127);
  t.is(execExitCode(255, runc('permission denied')), 126);
  t.is(execExitCode(1, 'crun: executable file `x` not found in $PATH: No such file or directory\n'), 127);
  t.is(execExitCode(3, 'sh: /root/x: Permission denied\n'), 3);
  t.is(execExitCode(1, 'cat: x: No such file or directory\n'), 1);
  t.is(execExitCode(0, ''), 0);
});

test('the node\'s address on its pod network: the first of the pod CIDR', (t) => {
  t.is(podGateway('198.18.4.0/24'), '198.18.4.1');
  t.is(podGateway('10.244.0.0/16'), '10.244.0.1');
  t.is(podGateway('198.18.4.77/24'), '198.18.4.1');
  t.throws(() => podGateway('fd00::/64'), { message: /not an IPv4 CIDR/ });
});
