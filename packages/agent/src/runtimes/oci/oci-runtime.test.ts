// The oci runtime for real: runc under conmon, images from Debian's docker-registry built
// from busybox-static, pod networks on a bridge with a CIDR inside 198.18.0.0/15 (the
// range reserved for network tests), cgroup limits. Skipped only where containers cannot
// run at all: not root, or no runc.
import anyTest, { type TestFn } from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceAccountTokenVolume, type ConfigMap, type PodSpec, type Secret } from '@tugboat/api';
import {
  startRegistry, buildOciImage, busyboxImageSpec, pushImage, freePort, waitFor, type RegistryHandle,
} from '@tugboat/test';
import type { ContainerConfig, ContainerInfo, PodRef, SandboxInfo } from '../runtime.js';
import { OciRuntime, type OciRuntimeOptions } from './oci-runtime.js';
import { findExecutable } from './runc.js';
import { MASKED_PATHS } from './spec.js';
import { unmountAll } from '../../system/mounts.js';
import { killOciContainers } from './kill-containers.js';
import { ImageStore } from './images/store.js';
import { ContainerLogManager } from '../../logs/container-log-manager.js';
import { ManualClock } from '../../testing/manual-clock.js';

interface Ctx {
  registry: RegistryHandle;
  work: string;
  dataDir: string;
  rt: OciRuntime;
  options: OciRuntimeOptions;
  image: string;
  customImage: string;
  configMaps: Map<string, ConfigMap>;
  secrets: Map<string, Secret>;
}

const test = anyTest as TestFn<Ctx>;
const skipReason = process.getuid?.() !== 0
  ? 'not root: the oci runtime needs root'
  : !findExecutable(['runc'])
    ? 'runc is not installed'
    : undefined;
if (skipReason) console.log(`oci runtime tests skipped: ${skipReason}`);
const maybe = skipReason ? test.skip : test.serial;

// A /24 of 198.18.0.0/15 of its own, so parallel test runs on one machine do not collide.
const subnet = 100 + (process.pid % 150);
const POD_CIDR = `198.18.${subnet}.0/24`;

test.before(async (t) => {
  if (skipReason) return;
  const work = mkdtempSync(join(tmpdir(), 'oci-test-'));
  const registry = await startRegistry();
  buildOciImage(join(work, 'layout'), '1', busyboxImageSpec());
  pushImage(join(work, 'layout'), '1', `${registry.host}/test/busybox:1`);
  // An image with its own Entrypoint, Cmd, WorkingDir and User, to check how they apply.
  buildOciImage(join(work, 'custom'), '1', busyboxImageSpec({
    config: {
      Env: ['PATH=/bin', 'GREETING=hello'],
      Entrypoint: ['sh', '-c', 'echo "entry:$0:$*:$(pwd):$(id -u):$GREETING"'],
      Cmd: ['from-cmd'],
      WorkingDir: '/work/dir',
      User: 'user',
    },
  }));
  pushImage(join(work, 'custom'), '1', `${registry.host}/test/custom:1`);
  const configMaps = new Map<string, ConfigMap>();
  const secrets = new Map<string, Secret>();
  const dataDir = join(work, 'data');
  const options: OciRuntimeOptions = {
    dataDir,
    nodeName: `oci-test-${randomBytes(3).toString('hex')}`,
    hostIP: '127.0.0.1',
    podCIDR: POD_CIDR,
    lookup: {
      configMap: async (ns, name) => configMaps.get(`${ns}/${name}`),
      secret: async (ns, name) => secrets.get(`${ns}/${name}`),
      // No API server here: projected volumes are tested end to end in agent-oci.test.ts.
      serviceAccountToken: async (ns, name) => { throw new Error(`serviceaccounts "${name}" not found in ${ns}`); },
    },
  };
  const rt = await OciRuntime.create(options);
  t.context = { registry, work, dataDir, rt, options, image: `${registry.host}/test/busybox:1`, customImage: `${registry.host}/test/custom:1`, configMaps, secrets };
});

test.after.always(async (t) => {
  if (skipReason || !t.context.rt) return;
  const { rt, registry, work, dataDir } = t.context;
  for (const s of await rt.listSandboxes()) await rt.removeSandbox(s.pod.uid).catch((e: unknown) => t.log(String(e)));
  for (const c of await rt.listContainers()) await rt.removeContainer(c.id).catch(() => undefined);
  await rt.removeNodeNetwork().catch(() => undefined);
  await rt.close();
  await unmountAll(dataDir);
  await registry.destroy();
  rmSync(work, { recursive: true, force: true });
});

let podCounter = 0;
function newPod(name = 'pod'): PodRef {
  podCounter++;
  return { uid: `${randomBytes(4).toString('hex')}-0000-4000-8000-${String(podCounter).padStart(12, '0')}`, namespace: 'default', name: `${name}-${podCounter}` };
}

async function sandbox(t: { context: Ctx }, pod: PodRef, podSpec?: PodSpec, hostNetwork = false): Promise<SandboxInfo> {
  return t.context.rt.createSandbox({ pod, hostname: pod.name, hostNetwork, labels: {}, annotations: {}, ...(podSpec ? { podSpec } : {}) });
}

async function start(t: { context: Ctx }, sb: SandboxInfo, over: Partial<ContainerConfig> & { name?: string; image?: string }): Promise<ContainerInfo> {
  const image = over.image ?? t.context.image;
  const imageRef = await t.context.rt.prepareImage(image, sb.pod);
  return t.context.rt.startContainer(sb, {
    pod: sb.pod, name: 'main', attempt: 0, image, imageRef, command: [], args: [], env: [], resources: {}, annotations: {}, ...over,
  });
}

async function waitExit(rt: OciRuntime, id: string, timeoutMs = 20_000): Promise<ContainerInfo> {
  let last: ContainerInfo | undefined;
  await waitFor(`container ${id} to exit`, async () => {
    last = await rt.containerStatus(id);
    return last?.state === 'exited';
  }, timeoutMs);
  return last!;
}

async function logText(rt: OciRuntime, id: string): Promise<string> {
  let out = '';
  for await (const b of rt.logs(id)) out += b.toString();
  return out;
}

async function runToEnd(t: { context: Ctx }, sb: SandboxInfo, script: string, over: Partial<ContainerConfig> = {}): Promise<{ info: ContainerInfo; out: string }> {
  const c = await start(t, sb, { command: ['sh', '-c', script], ...over });
  const info = await waitExit(t.context.rt, c.id);
  return { info, out: await logText(t.context.rt, c.id) };
}

maybe('a container prints its hostname (the pod name) and runs its command as pid 1', async (t) => {
  // Pod UIDs are whatever the API server made: this one is no valid CNI container ID as is.
  const pod = { ...newPod('hello'), uid: `-${randomBytes(12).toString('base64url')}` };
  const sb = await sandbox(t, pod);
  t.true(sb.ip.startsWith(`198.18.${subnet}.`), sb.ip);
  const { info, out } = await runToEnd(t, sb, 'hostname; ps -o pid,args; echo "var=$IMAGE_VAR foo=$FOO"; cat /etc/hostname', { env: [{ name: 'FOO', value: 'bar' }] });
  t.is(info.reason, 'Completed', info.message);
  t.is(info.exitCode, 0);
  const lines = out.split('\n');
  t.is(lines[0], pod.name);
  t.regex(out, /^\s*1\s+sh -c hostname; ps/m, 'the command is pid 1 of its own pid namespace');
  t.false(/^\s*1\s+\/sbin\/init|systemd/m.test(out));
  t.regex(out, /var=from-image foo=bar/);
  t.truthy(info.startedAt);
  t.truthy(info.finishedAt);
  await t.context.rt.removeSandbox(pod.uid);
  t.deepEqual(await t.context.rt.listContainers({ podUid: pod.uid }), []);
});

maybe('a container over its 32Mi memory limit is OOMKilled with exit code 137', async (t) => {
  const pod = newPod('oom');
  const sb = await sandbox(t, pod);
  // tail -c keeps the last 100 MiB in memory: far over the limit.
  const { info } = await runToEnd(t, sb, 'head -c 104857600 /dev/zero | tail -c 104857600 > /dev/null', {
    resources: { memoryLimitBytes: 32 * 1024 * 1024 },
  });
  t.is(info.exitCode, 137);
  t.is(info.reason, 'OOMKilled');
  await t.context.rt.removeSandbox(pod.uid);
});

maybe('a busy loop limited to 200m cpu gets at most about a quarter of a core', async (t) => {
  const pod = newPod('cpu');
  const sb = await sandbox(t, pod);
  const c = await start(t, sb, { command: ['sh', '-c', 'while :; do :; done'], resources: { cpuRequestMilli: 200, cpuLimitMilli: 200 } });
  t.is(c.state, 'running');
  const first = await t.context.rt.cgroupStats(c.id);
  t.truthy(first, 'cgroup stats are readable');
  t.is(first!.cpuQuotaUs, 20_000);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, 2000));
  const second = (await t.context.rt.cgroupStats(c.id))!;
  const wallNs = Number(process.hrtime.bigint() - t0);
  const cores = (second.cpuUsageNs - first!.cpuUsageNs) / wallNs;
  t.log(`busy loop used ${cores.toFixed(3)} cores; throttled in ${second.throttledPeriods} periods`);
  t.true(cores <= 0.25 + 0.05, `used ${cores} cores`);
  t.true(cores > 0.05, 'the loop did run');
  t.true(second.throttledPeriods > first!.throttledPeriods, 'CFS throttled it');
  const stats = await t.context.rt.stats(c.id);
  t.true((stats?.cpuUsageCoreNanoSeconds ?? 0) > 0);
  t.true((stats?.memoryWorkingSetBytes ?? 0) > 0);
  await t.context.rt.stopContainer(c.id, 0);
  await t.context.rt.removeSandbox(pod.uid);
});

maybe('two pods reach each other over their pod IPs', async (t) => {
  const server = newPod('server');
  const client = newPod('client');
  const sbServer = await sandbox(t, server);
  const sbClient = await sandbox(t, client);
  t.not(sbServer.ip, sbClient.ip);
  const httpd = await start(t, sbServer, { command: ['httpd', '-f', '-p', '8080', '-h', '/var/www'] });
  t.is(httpd.state, 'running');
  // The host reaches the pod too (its bridge is the pods' gateway).
  await waitFor('httpd to answer', async () => (await fetch(`http://${sbServer.ip}:8080/`).catch(() => undefined))?.ok === true, 10_000);
  const { info, out } = await runToEnd(t, sbClient, `wget -q -O - http://${sbServer.ip}:8080/index.html`);
  t.is(info.exitCode, 0, out);
  t.is(out, 'hello from busybox httpd\n');
  // The node's side of the pod network, where a pod finds the node (KUBERNETES_SERVICE_HOST).
  t.is(sbClient.hostGateway, `198.18.${subnet}.1`);
  const route = await runToEnd(t, sbClient, 'ip route | grep default');
  t.regex(route.out, new RegExp(`^default via 198\\.18\\.${subnet}\\.1 `));
  await t.context.rt.removeSandbox(server.uid);
  await t.context.rt.removeSandbox(client.uid);
});

maybe('hostPort maps a port on the node to the pod (portmap)', async (t) => {
  const pod = newPod('hostport');
  const hostPort = await freePort();
  const podSpec: PodSpec = { containers: [{ name: 'main', image: t.context.image, ports: [{ containerPort: 8080, hostPort }] }] };
  const sb = await sandbox(t, pod, podSpec);
  await start(t, sb, { command: ['httpd', '-f', '-p', '8080', '-h', '/var/www'] });
  // portmap's DNAT applies to traffic addressed to the node's own (non-loopback) addresses.
  // Tests may only send traffic to loopback or to networks they made, so use the address
  // the node bridge of this test's own pod CIDR has (the .1 gateway).
  const addr = `198.18.${subnet}.1`;
  await waitFor(`${addr}:${hostPort} to answer`, async () => (await fetch(`http://${addr}:${hostPort}/`).catch(() => undefined))?.ok === true, 10_000);
  t.is(await (await fetch(`http://${addr}:${hostPort}/`)).text(), 'hello from busybox httpd\n');
  await t.context.rt.removeSandbox(pod.uid);
});

maybe('hostNetwork pods use the node’s network and hostname', async (t) => {
  const pod = newPod('hostnet');
  const sb = await sandbox(t, pod, undefined, true);
  t.is(sb.ip, '127.0.0.1');
  const { out } = await runToEnd(t, sb, 'hostname; ls /sys/class/net');
  const [hostname, ...ifaces] = out.trim().split(/\s+/);
  t.is(hostname, readFileSync('/proc/sys/kernel/hostname', 'utf8').trim());
  t.true(ifaces.includes('lo'));
  t.true(ifaces.length > 1, 'sees the host’s interfaces');
  await t.context.rt.removeSandbox(pod.uid);
});

maybe('image Entrypoint, Cmd, WorkingDir and User apply with Kubernetes’ command/args rules', async (t) => {
  const pod = newPod('imgcfg');
  const sb = await sandbox(t, pod);
  const img = t.context.customImage;
  const run = async (over: Partial<ContainerConfig>): Promise<string> => {
    const c = await start(t, sb, { image: img, name: `c${randomBytes(2).toString('hex')}`, ...over });
    await waitExit(t.context.rt, c.id);
    return (await logText(t.context.rt, c.id)).trim();
  };
  t.is(await run({}), 'entry:from-cmd::/work/dir:1000:hello', 'Entrypoint + Cmd, WorkingDir created, User resolved by name');
  t.is(await run({ args: ['a1', 'a2'] }), 'entry:a1:a2:/work/dir:1000:hello', 'args replace Cmd');
  t.is(await run({ command: ['echo', 'own'], args: ['x'] }), 'own x', 'command replaces Entrypoint and Cmd');
  t.is(await run({ command: ['pwd'], workingDir: '/tmp' }), '/tmp');
  t.is(await run({ command: ['sh', '-c', 'echo $GREETING $PATH'], env: [{ name: 'GREETING', value: 'override' }] }), 'override /bin');
  const missing = await start(t, sb, { image: img, name: 'missing', command: ['no-such-binary'] });
  t.is(missing.state, 'exited');
  t.is(missing.reason, 'StartError');
  t.is(missing.exitCode, 128);
  t.regex(missing.message ?? '', /no-such-binary.*not found/);
  await t.context.rt.removeSandbox(pod.uid);
});

maybe('securityContext: runAsUser/runAsGroup, readOnlyRootFilesystem, capabilities, privileged', async (t) => {
  const pod = newPod('sec');
  const podSpec: PodSpec = {
    securityContext: { supplementalGroups: [4242] },
    containers: [
      { name: 'user', image: t.context.image, securityContext: { runAsUser: 1234, runAsGroup: 5678 } },
      { name: 'ro', image: t.context.image, securityContext: { readOnlyRootFilesystem: true } },
      { name: 'nocaps', image: t.context.image, securityContext: { capabilities: { drop: ['ALL'] } } },
      { name: 'netadmin', image: t.context.image, securityContext: { capabilities: { add: ['NET_ADMIN'], drop: ['CHOWN'] } } },
      { name: 'default', image: t.context.image },
      { name: 'priv', image: t.context.image, securityContext: { privileged: true } },
    ],
  };
  const sb = await sandbox(t, pod, podSpec);
  const out = async (name: string, script: string): Promise<{ code: number | undefined; text: string }> => {
    const c = await start(t, sb, { name, command: ['sh', '-c', script] });
    const info = await waitExit(t.context.rt, c.id);
    return { code: info.exitCode, text: (await logText(t.context.rt, c.id)).trim() };
  };
  t.is((await out('user', 'id -u; id -g; id -G')).text, '1234\n5678\n5678 4242');
  const ro = await out('ro', 'touch /should-fail 2>&1; echo code=$?; touch /tmp/x 2>&1 || echo tmp-ro');
  t.regex(ro.text, /Read-only file system/);
  t.regex(ro.text, /code=1/);
  const capEff = (text: string): bigint => BigInt(`0x${/CapEff:\s*([0-9a-f]+)/.exec(text)?.[1] ?? '0'}`);
  t.is(capEff((await out('nocaps', 'grep CapEff /proc/self/status')).text), 0n);
  // Docker's default set: 0xa80425fb.
  t.is(capEff((await out('default', 'grep CapEff /proc/self/status; grep NoNewPrivs /proc/self/status')).text), 0xa80425fbn);
  t.regex((await out('default', 'grep NoNewPrivs /proc/self/status')).text, /NoNewPrivs:\s*1/);
  const netadmin = capEff((await out('netadmin', 'grep CapEff /proc/self/status')).text);
  t.true((netadmin & (1n << 12n)) !== 0n, 'CAP_NET_ADMIN added');
  t.true((netadmin & 1n) === 0n, 'CAP_CHOWN dropped');
  // runc's masked paths read as empty (/dev/null is mounted over them).
  const masked = MASKED_PATHS.find((p) => p.startsWith('/proc/') && existsSync(p) && statSync(p).isFile());
  if (masked) t.is((await out('default', `wc -c < ${masked}`)).text, '0', `${masked} is masked`);
  t.regex((await out('default', 'echo 1 > /proc/sys/kernel/domainname 2>&1; echo code=$?')).text, /code=1/);
  const priv = await out('priv', 'grep CapEff /proc/self/status; echo test > /proc/sys/kernel/domainname && echo wrote');
  t.true(capEff(priv.text) > 0xa80425fbn);
  t.regex(priv.text, /wrote/);
  await t.context.rt.removeSandbox(pod.uid);
});

maybe('volumes: emptyDir (disk and Memory), hostPath, configMap and secret files with items', async (t) => {
  const pod = newPod('vol');
  const hostDir = join(t.context.work, 'host-path');
  t.context.configMaps.set('default/web-config', { metadata: { name: 'web-config', namespace: 'default' }, data: { 'app.conf': 'port=8080\n', 'other': 'x' } });
  t.context.secrets.set('default/web-secret', { metadata: { name: 'web-secret', namespace: 'default' }, type: 'Opaque', data: { password: Buffer.from('s3cret').toString('base64') } });
  const podSpec: PodSpec = {
    volumes: [
      { name: 'shared', emptyDir: {} },
      { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
      { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
      { name: 'config', configMap: { name: 'web-config', items: [{ key: 'app.conf', path: 'conf/app.conf' }] } },
      { name: 'secret', secret: { secretName: 'web-secret', defaultMode: 0o400 } },
    ],
    containers: [
      {
        name: 'writer', image: t.context.image,
        volumeMounts: [{ name: 'shared', mountPath: '/shared' }, { name: 'host', mountPath: '/host' }],
      },
      {
        name: 'reader', image: t.context.image,
        volumeMounts: [
          { name: 'shared', mountPath: '/data', readOnly: true },
          { name: 'cache', mountPath: '/cache' },
          { name: 'config', mountPath: '/etc/app' },
          { name: 'secret', mountPath: '/etc/secret' },
        ],
      },
    ],
  };
  const sb = await sandbox(t, pod, podSpec);
  const w = await runToEnd(t, sb, 'echo from-writer > /shared/msg && echo on-host > /host/file', { name: 'writer' });
  t.is(w.info.exitCode, 0, w.out);
  t.is(readFileSync(join(hostDir, 'file'), 'utf8'), 'on-host\n');
  const r = await runToEnd(t, sb, [
    'cat /data/msg',
    'touch /data/nope 2>/dev/null || echo data-ro',
    'grep " /cache " /proc/mounts | cut -d" " -f3',
    'cat /etc/app/conf/app.conf',
    'ls /etc/app/other 2>/dev/null || echo only-items',
    'cat /etc/secret/password; echo',
    'stat -c %a /etc/secret/password',
    'touch /etc/app/x 2>/dev/null || echo config-ro',
  ].join('; '), { name: 'reader' });
  t.is(r.out, 'from-writer\ndata-ro\ntmpfs\nport=8080\nonly-items\ns3cret\n400\nconfig-ro\n');
  await t.context.rt.removeSandbox(pod.uid);
  t.true(existsSync(join(hostDir, 'file')), 'hostPath content outlives the pod');

  const bad = newPod('badvol');
  await t.throwsAsync(sandbox(t, bad, { volumes: [{ name: 'c', configMap: { name: 'missing' } }], containers: [] }), {
    message: 'spec.volumes[0].configMap: configmap "missing" not found',
  });
  t.false(existsSync(join(t.context.dataDir, 'oci/pods', bad.uid)), 'a failed sandbox leaves nothing behind');
});

maybe('projected volumes: token, CA and namespace on a tmpfs; the token renewed at 80% of its lifetime until the sandbox goes', async (t) => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const dataDir = join(t.context.work, 'rotation');
  const issued: string[] = [];
  // A runtime of its own for the clock; no pod network (the shared runtime's bridge owns this CIDR).
  const rt = await OciRuntime.create({
    dataDir, nodeName: `oci-rot-${randomBytes(3).toString('hex')}`, hostIP: '127.0.0.1', clock,
    lookup: {
      configMap: async (ns, name) => (ns === 'default' && name === 'kube-root-ca.crt' ? { data: { 'ca.crt': 'THE CA' } } : undefined),
      secret: async () => undefined,
      serviceAccountToken: async (_ns, sa, req) => {
        const token = `token-${issued.length + 1}-${sa}-${req.boundObjectRef?.name}`;
        issued.push(token);
        return { token, expirationTimestamp: new Date(clock.now() + (req.expirationSeconds ?? 3600) * 1000).toISOString() };
      },
    },
  });
  t.teardown(() => rt.close());
  const pod = newPod('sa');
  const volume = 'kube-api-access-abcde';
  const podSpec: PodSpec = {
    serviceAccountName: 'builder',
    containers: [],
    volumes: [serviceAccountTokenVolume(volume)],
  };
  const sb = await rt.createSandbox({ pod, hostname: pod.name, hostNetwork: true, labels: {}, annotations: {}, podSpec });
  t.is(sb.hostGateway, undefined, 'a hostNetwork pod reaches the node as the node does');
  const dir = join(dataDir, 'oci/pods', pod.uid, 'volumes/projected', volume);
  const read = (f: string): string => readFileSync(join(dir, f), 'utf8');
  t.is(read('token'), `token-1-builder-${pod.name}`);
  t.is(read('ca.crt'), 'THE CA');
  t.is(read('namespace'), 'default');
  t.is(statSync(join(dir, 'token')).mode & 0o777, 0o644);
  t.true(readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir && l.split(' ')[2] === 'tmpfs'), 'on a tmpfs');
  // A sync finds the sandbox again: no new token.
  await rt.createSandbox({ pod, hostname: pod.name, hostNetwork: true, labels: {}, annotations: {}, podSpec });
  t.is(issued.length, 1);
  // Just before 80% of 3607 s nothing happens; at 80% the token is renewed in place.
  await clock.advance(Math.floor(3607_000 * 0.8) - 1_000);
  t.is(issued.length, 1);
  await clock.advance(1_000);
  await waitFor('the renewed token', () => read('token') === `token-2-builder-${pod.name}`, 10_000);
  t.is(read('ca.crt'), 'THE CA');
  // Gone with the sandbox: no renewal after.
  await rt.removeSandbox(pod.uid);
  await clock.advance(48 * 3600_000);
  await new Promise((r) => setTimeout(r, 200));
  t.is(issued.length, 2);
  t.false(existsSync(dir));
});

maybe('stop: SIGTERM, the grace period, then SIGKILL; exec runs in the container', async (t) => {
  const pod = newPod('stop');
  const sb = await sandbox(t, pod);
  const polite = await start(t, sb, { name: 'polite', command: ['sh', '-c', 'trap "echo bye; exit 0" TERM; while :; do sleep 0.1; done'] });
  // pid 1 ignores signals it has no handler for: plain sleep needs the SIGKILL.
  const stubborn = await start(t, sb, { name: 'stubborn', command: ['sleep', '1000'] });
  const ex = await t.context.rt.exec(stubborn.id, ['sh', '-c', 'echo out; echo err >&2; hostname; exit 7']);
  t.is(ex.exitCode, 7);
  t.is(ex.stdout.toString(), `out\n${pod.name}\n`);
  t.is(ex.stderr.toString(), 'err\n');
  // Codes as a shell (and docker/kubectl exec) gives them, with the runtime's message.
  const missing = await t.context.rt.exec(stubborn.id, ['no-such-command']);
  t.is(missing.exitCode, 127, missing.stderr.toString());
  t.regex(missing.stderr.toString(), /no-such-command/);
  const notExecutable = await t.context.rt.exec(stubborn.id, ['/etc/hostname']);
  t.is(notExecutable.exitCode, 126, notExecutable.stderr.toString());
  const denied = await t.context.rt.exec(stubborn.id, ['sh', '-c', 'echo "sh: permission denied" >&2; exit 3']);
  t.is(denied.exitCode, 3, 'a command\'s own failure keeps its exit code');
  // A timeout kills the command in the container, not only runc exec, and answers on time.
  const execAt = Date.now();
  const slow = await t.context.rt.exec(stubborn.id, ['sh', '-c', 'echo started; exec sleep 77'], { timeoutMs: 500 });
  t.true(Date.now() - execAt < 3_000, `exec took ${Date.now() - execAt} ms`);
  t.is(slow.exitCode, 137);
  const ps = (await t.context.rt.exec(stubborn.id, ['ps'])).stdout.toString();
  t.notRegex(ps, /sleep 77/, ps);
  await t.context.rt.stopContainer(polite.id, 10);
  const p = (await t.context.rt.containerStatus(polite.id))!;
  t.is(p.exitCode, 0);
  t.is(await logText(t.context.rt, polite.id), 'bye\n');
  const before = Date.now();
  await t.context.rt.stopContainer(stubborn.id, 1);
  const s = (await t.context.rt.containerStatus(stubborn.id))!;
  t.is(s.exitCode, 137);
  t.is(s.reason, 'Error');
  t.true(Date.now() - before >= 1000, 'waited the grace period');
  await t.throwsAsync(t.context.rt.exec(stubborn.id, ['true']), { message: /not running/ });
  await t.context.rt.removeContainer(stubborn.id);
  t.is(await t.context.rt.containerStatus(stubborn.id), undefined);
  await t.context.rt.removeSandbox(pod.uid);
});

maybe('a restarted runtime adopts running containers and reports the real exit code of those that ended', async (t) => {
  const pod = newPod('adopt');
  const sb = await sandbox(t, pod);
  const runner = await start(t, sb, { name: 'runner', command: ['sleep', '1000'] });
  const quitter = await start(t, sb, { name: 'quitter', command: ['sh', '-c', 'sleep 1; exit 3'] });
  // The agent goes away (this runtime instance is dropped) …
  await t.context.rt.close();
  // … the quitter exits while nobody watches: conmon records its code.
  const exitFile = join(t.context.dataDir, 'oci/containers', quitter.id, 'exit', quitter.id);
  await waitFor('the quitter to exit', () => existsSync(exitFile) && statSync(exitFile).size > 0, 15_000);
  const rt2 = await OciRuntime.create(t.context.options);
  t.context.rt = rt2;
  const list = await rt2.listContainers({ podUid: pod.uid });
  const r = list.find((c) => c.id === runner.id);
  const q = list.find((c) => c.id === quitter.id);
  t.is(r?.state, 'running');
  t.is(r?.pid, runner.pid, 'the same process, not a new one');
  t.is(q?.state, 'exited');
  t.is(q?.exitCode, 3);
  t.is(q?.reason, 'Error');
  t.deepEqual((await rt2.listSandboxes()).find((s) => s.pod.uid === pod.uid)?.ip, sb.ip);
  // A machine crash: conmon and the container killed; nobody records an exit code.
  t.is(await killOciContainers(t.context.dataDir), 1);
  const lost = await waitExit(rt2, runner.id);
  t.is(lost.reason, 'ContainerStatusUnknown');
  await rt2.removeSandbox(pod.uid);
});

maybe('logs rotate by size while the container keeps writing', async (t) => {
  const rt = await OciRuntime.create({ ...t.context.options, logMaxBytes: 2048 });
  const logs = new ContainerLogManager({ runtime: rt, maxBytes: 2048, maxFiles: 3, intervalMs: 0 });
  try {
    const pod = newPod('logs');
    const sb = await rt.createSandbox({ pod, hostname: pod.name, hostNetwork: false, labels: {}, annotations: {} });
    const imageRef = await rt.prepareImage(t.context.image, pod);
    const c = await rt.startContainer(sb, {
      pod, name: 'chatty', attempt: 0, image: t.context.image, imageRef, args: [], env: [], resources: {}, annotations: {},
      command: ['sh', '-c', 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.01; done'],
    });
    const log = rt.containerLogPath(c.id)!;
    t.is(log, join(t.context.dataDir, 'pod-logs', `default_${pod.name}_${pod.uid}`, 'chatty', '0.log'), 'the node\'s pod-log tree');
    for (let round = 1; round <= 3; round++) {
      await waitFor('the log to grow', () => existsSync(log) && statSync(log).size >= 2048, 10_000);
      t.is(await logs.rotateAll(), 1);
      await waitFor('conmon to reopen the log', () => existsSync(log) && statSync(log).size > 0, 10_000);
    }
    t.true(existsSync(`${log}.1`));
    t.true(existsSync(`${log}.2`));
    t.false(existsSync(`${log}.3`), 'at most logMaxFiles files');
    const older = readFileSync(`${log}.1`, 'utf8');
    t.regex(older, /stdout F line \d+/);
    const tail = (await (async () => { let s = ''; for await (const b of rt.logs(c.id, { tailLines: 1 })) s += b.toString(); return s; })());
    t.regex(tail, /^line \d+\n$/);
    await rt.removeSandbox(pod.uid);
  } finally {
    await rt.close();
  }
});

maybe('image GC keeps images containers use and removes the others above the high-water mark', async (t) => {
  const dataDir = join(t.context.work, 'gc-node');
  let usedPercent = 10;
  const images = new ImageStore({ dir: join(dataDir, 'images'), diskUsage: async () => ({ totalBytes: 1e12, usedBytes: usedPercent * 1e10 }) });
  const rt = await OciRuntime.create({ ...t.context.options, dataDir, images });
  try {
    const pod = newPod('gc');
    const sb = await rt.createSandbox({ pod, hostname: pod.name, hostNetwork: false, labels: {}, annotations: {} });
    const used = await rt.prepareImage(t.context.image, pod);
    await rt.prepareImage(t.context.customImage, pod);
    const c = await rt.startContainer(sb, { pod, name: 'main', attempt: 0, image: t.context.image, imageRef: used, command: ['true'], args: [], env: [], resources: {}, annotations: {} });
    await waitExit(rt, c.id);
    t.deepEqual((await rt.garbageCollectImages()).removed, [], 'below the high-water mark');
    usedPercent = 95;
    t.deepEqual((await rt.garbageCollectImages()).removed, [t.context.customImage], 'the unused image goes; the exited container’s stays');
    t.truthy(images.get(t.context.image));
    await rt.removeSandbox(pod.uid);
    t.deepEqual((await rt.garbageCollectImages()).removed, [t.context.image], 'with its container gone, it goes too');
  } finally {
    await rt.close();
    await unmountAll(dataDir);
  }
});
