// The built tugboat-agent with `--runtime oci` against a real API server and etcd: pods whose
// images come from a local registry run as real containers; status shows what the runtime
// saw (pod IP, imageID, OOMKilled, ErrImagePull); a SIGKILLed agent adopts its containers;
// every pod gets its ServiceAccount credentials (the projected kube-api-access volume) and
// KUBERNETES_SERVICE_HOST/PORT. Skipped only where containers cannot run (not root, no
// runc) or etcd is missing.
import test from 'ava';
import { join } from 'node:path';
import { TugboatClient, type KubeObject, type Pod } from '@tugboat/api';
import { waitFor, type RegistryHandle } from '@tugboat/test';
import type { AgentProcess } from '../../testing/agent-process.js';
import { OciRuntime } from './oci-runtime.js';
import { formatResolvConf, readHostDNS } from '../../network/pod-dns.js';
import { ociSkipReason, startOciNode, type OciNode } from '../../testing/oci-node.js';
import { podWatch } from '../../testing/pod-watch.js';

type PodObject = Pod & KubeObject;

const skipReason = ociSkipReason();
if (skipReason) console.log(`agent oci tests skipped: ${skipReason}`);
const maybe = skipReason ? test.skip : test.serial;

const subnet = 100 + ((process.pid + 75) % 150);
const POD_CIDR = `198.18.${subnet}.0/24`;
const NODE = `oci-node-${process.pid}`;
/** The cluster DNS Service's conventional address (nothing needs to answer there for these tests). */
const CLUSTER_DNS = '198.19.0.10';

let node: OciNode | undefined;
let client: TugboatClient;
let registry: RegistryHandle | undefined;
let work = '';
let image = '';
let agent: AgentProcess | undefined;

test.before(async () => {
  if (skipReason) return;
  node = await startOciNode({ nodeName: NODE, podCIDR: POD_CIDR, args: ['--cluster-dns', CLUSTER_DNS, '--cluster-domain', 'cluster.local'] });
  ({ client, registry, work, image, agent } = node);
});

test.after.always(async (t) => {
  await node?.stop((m) => t.log(m));
});

let seq = 0;
async function runPod(container: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<string> {
  const name = `oci-${++seq}`;
  await client.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image, ...container }], ...spec },
  });
  await client.bind('default', name, NODE);
  return name;
}

const { waitPod, eventsOf, waitEvent } = podWatch(() => client, { timeoutMs: 30_000, context: () => `agent: ${agent?.output().slice(-2000) ?? ''}` });

maybe('a pod from a registry image runs: Running, pod IP from the node’s CIDR, imageID, oci:// containerID', async (t) => {
  const name = await runPod({ command: ['sh', '-c', 'echo "hello from $(hostname)"; sleep 1000'] });
  const pod = await waitPod(name, 'to run', (p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running !== undefined);
  t.true(pod.status?.podIP?.startsWith(`198.18.${subnet}.`), pod.status?.podIP);
  const cs = pod.status!.containerStatuses![0]!;
  t.regex(cs.containerID ?? '', /^oci:\/\/[0-9a-f]{32}$/);
  t.regex(cs.imageID ?? '', new RegExp(`^${registry!.host.replace(/\./g, '\\.')}/test/busybox@sha256:[0-9a-f]{64}$`));
  t.is(cs.restartCount, 0);
  const node = await client.get<KubeObject & { status?: { nodeInfo?: { containerRuntimeVersion?: string } } }>('nodes', '', NODE);
  t.regex(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^oci:\/\/(runc|crun)/);

  // kubelet's image events: the first pod pulled the image; the next finds it present.
  const events = async (pod: string): Promise<string[]> => (await eventsOf(pod)).map((e) => `${e.reason}: ${e.message}`);
  let pulled: string[] = [];
  await waitFor('Pulling and Pulled events', async () => (pulled = await events(name)).some((e) => e.startsWith('Pulled:')), 10_000, 100);
  t.true(pulled.includes(`Pulling: Pulling image "${image}"`), pulled.join('\n'));
  t.true(pulled.some((e) => new RegExp(`^Pulled: Successfully pulled image "${image.replace(/[.]/g, '\\.')}" in \\d+(\\.\\d+)?m?s\\. Image size: \\d+ bytes\\.$`).test(e)), pulled.join('\n'));
  const second = await runPod({ command: ['sleep', '1000'] });
  await waitPod(second, 'to run', (p) => p.status?.phase === 'Running');
  let present: string[] = [];
  await waitFor('an already-present event', async () => (present = await events(second)).some((e) => e.startsWith('Pulled:')), 10_000, 100);
  t.true(present.includes(`Pulled: Container image "${image}" already present on machine`), present.join('\n'));
  t.false(present.some((e) => e.startsWith('Pulling:')), 'no pull for a present image');
});

maybe('a pod over its memory limit ends OOMKilled (137)', async (t) => {
  const name = await runPod({
    command: ['sh', '-c', 'head -c 104857600 /dev/zero | tail -c 104857600 > /dev/null'],
    resources: { limits: { memory: '32Mi' } },
  }, { restartPolicy: 'Never' });
  const pod = await waitPod(name, 'to fail', (p) => p.status?.phase === 'Failed');
  const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(term?.reason, 'OOMKilled');
  t.is(term?.exitCode, 137);
});

maybe('an image that does not exist: ErrImagePull / ImagePullBackOff with the registry’s message', async (t) => {
  const name = await runPod({ image: `${registry!.host}/test/nope:1`, command: ['true'] });
  const pod = await waitPod(name, 'to wait on the pull', (p) => /ErrImagePull|ImagePullBackOff/.test(p.status?.containerStatuses?.[0]?.state?.waiting?.reason ?? ''));
  const waiting = pod.status!.containerStatuses![0]!.state!.waiting!;
  t.regex(waiting.message ?? '', /manifest unknown/);
  await waitPod(name, 'to back off', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff');
});

maybe('SIGKILL of the agent: its containers keep running and are adopted after a restart', async (t) => {
  const name = await runPod({ command: ['sleep', '1000'] });
  const before = await waitPod(name, 'to run', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
  await agent!.kill('SIGKILL');
  await agent!.restart();
  // A few status rounds later: the same container, not a second one.
  await new Promise((r) => setTimeout(r, 3000));
  const after = await waitPod(name, 'to be running', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
  t.is(after.status?.containerStatuses?.[0]?.containerID, before.status?.containerStatuses?.[0]?.containerID);
  t.is(after.status?.containerStatuses?.[0]?.restartCount, 0);
  t.is(after.status?.podIP, before.status?.podIP);
});

maybe('deleting a pod stops its container and removes its sandbox', async (t) => {
  const name = await runPod({ command: ['sleep', '1000'] }, { terminationGracePeriodSeconds: 1 });
  const pod = await waitPod(name, 'to run', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
  await client.delete('pods', 'default', name);
  await waitFor(`pod ${name} to go away`, async () => (await client.tryGet('pods', 'default', name)) === undefined, 30_000, 100);
  const rt = await OciRuntime.create({ dataDir: join(work, 'data'), nodeName: NODE, hostIP: '127.0.0.1', podCIDR: POD_CIDR });
  try {
    await waitFor('the sandbox to be removed', async () => !(await rt.listSandboxes()).some((s) => s.pod.uid === pod.metadata?.uid), 15_000);
    t.deepEqual(await rt.listContainers({ podUid: pod.metadata?.uid ?? '' }), []);
  } finally {
    await rt.close();
  }
});

maybe('an init container writes to an emptyDir that the main container then reads', async (t) => {
  const name = await runPod({
    command: ['sh', '-c', 'cat /work/greeting; sleep 1000'],
    volumeMounts: [{ name: 'work', mountPath: '/work' }],
  }, {
    initContainers: [{ name: 'setup', image, command: ['sh', '-c', 'echo "prepared by init" > /work/greeting'], volumeMounts: [{ name: 'work', mountPath: '/work' }] }],
    volumes: [{ name: 'work', emptyDir: {} }],
  });
  const pod = await waitPod(name, 'to run', (p) => p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running !== undefined);
  t.like(pod.status?.initContainerStatuses?.[0], { name: 'setup', ready: true, state: { terminated: { exitCode: 0, reason: 'Completed' } } });
  t.regex(pod.status?.initContainerStatuses?.[0]?.containerID ?? '', /^oci:\/\//);
  t.is(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
  let logs = '';
  await waitFor('the main container’s output', async () => {
    logs = '';
    for await (const c of client.logs('default', name)) logs += c.data.toString();
    return logs !== '';
  }, 10_000);
  t.is(logs, 'prepared by init\n');
});

/** A pod's whole log, once it has written `until`. */
async function logsUntil(name: string, until: string): Promise<string> {
  let logs = '';
  await waitFor(`the output of ${name}`, async () => {
    logs = '';
    for await (const c of client.logs('default', name)) logs += c.data.toString();
    return logs.includes(until);
  }, 15_000);
  return logs;
}

maybe('a pod reads its ServiceAccount token, the cluster CA and its namespace where Kubernetes puts them, and finds the API server in its env', async (t) => {
  const dir = '/var/run/secrets/kubernetes.io/serviceaccount';
  const name = await runPod({
    command: ['sh', '-c', [
      `cd ${dir}`,
      'echo "token=$(cat token)"',
      'echo "namespace=$(cat namespace)"',
      'echo "api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"',
      'echo "links=$(readlink token) $(readlink ..data | cut -c1-3)"',
      '(touch x 2>/dev/null && echo writable) || echo read-only',
      'echo "ca<<"; cat ca.crt; echo ">>ca"',
      'sleep 1000',
    ].join('; ')],
  });
  const pod = await waitPod(name, 'to run', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined);
  // The API server's ServiceAccount admission gave it the volume; the agent filled it.
  const volume = pod.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
  t.truthy(volume?.projected, JSON.stringify(pod.spec?.volumes));
  t.is(pod.spec?.serviceAccountName, 'default');
  const logs = await logsUntil(name, '>>ca');
  const token = /^token=(.*)$/m.exec(logs)?.[1] ?? '';
  const parts = token.split('.');
  t.is(parts.length, 3, `a JWT: ${token}`);
  const claims = JSON.parse(Buffer.from(parts[1] ?? '', 'base64url').toString('utf8')) as { sub?: string; 'kubernetes.io'?: { namespace?: string; pod?: { name?: string; uid?: string }; serviceaccount?: { name?: string } } };
  t.is(claims.sub, 'system:serviceaccount:default:default');
  t.is(claims['kubernetes.io']?.namespace, 'default');
  t.deepEqual(claims['kubernetes.io']?.pod, { name, uid: pod.metadata?.uid });
  t.is(claims['kubernetes.io']?.serviceaccount?.name, 'default');
  t.is(/^namespace=(.*)$/m.exec(logs)?.[1], 'default');
  t.is(/ca<<\n([\s\S]*)>>ca/.exec(logs)?.[1], node!.api.pki.ca.certPem);
  // Loopback from inside the pod's netns would be the pod itself: the node's bridge address instead.
  const apiPort = node!.api.address.split(':').pop();
  t.is(/^api=(.*)$/m.exec(logs)?.[1], `198.18.${subnet}.1:${apiPort}`);
  // kubelet's AtomicWriter layout, mounted read-only.
  t.is(/^links=(.*)$/m.exec(logs)?.[1], '..data/token ..2');
  t.true(logs.includes('read-only\n'));
  // The token is a real credential of the pod's ServiceAccount, bound to the pod.
  const asPod = new TugboatClient(node!.api.address, { credentials: { tls: { ca: node!.api.pki.ca.certPem }, token } });
  const review = await asPod.list('pods', { namespace: 'default' }).then(() => 'allowed', (e: Error) => e.message).finally(() => asPod.close());
  t.regex(review, /^(allowed|.*system:serviceaccount:default:default.*)$/, 'authenticated as the ServiceAccount (allowed or refused by RBAC, not unauthenticated)');
});

maybe('a missing ConfigMap of a projected volume: ContainerCreating with kubelet\'s FailedMount event, then Running once it exists', async (t) => {
  const cm = `later-${process.pid}`;
  const name = await runPod({
    command: ['sh', '-c', 'cat /etc/extra/setting; sleep 1000'],
    volumeMounts: [{ name: 'extra', mountPath: '/etc/extra' }],
  }, { volumes: [{ name: 'extra', projected: { sources: [{ configMap: { name: cm } }] } }] });
  const event = await waitEvent(name, 'a FailedMount event', (e) => e.reason === 'FailedMount', 20_000);
  t.is(event.type, 'Warning');
  t.is(event.message, `MountVolume.SetUp failed for volume "extra" : configmap "${cm}" not found`);
  const waiting = await waitPod(name, 'to wait in ContainerCreating', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ContainerCreating');
  t.is(waiting.status?.phase, 'Pending');
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cm, namespace: 'default' }, data: { setting: 'on' } });
  await waitPod(name, 'to run once the ConfigMap exists', (p) => p.status?.containerStatuses?.[0]?.state?.running !== undefined, 60_000);
  t.is(await logsUntil(name, 'on'), 'on');
});

maybe('each pod\'s /etc/resolv.conf as kubelet forms it: ClusterFirst (the cluster DNS, the namespace\'s search paths, ndots:5), Default (the host\'s), None (its dnsConfig)', async (t) => {
  const resolv = async (spec: Record<string, unknown>): Promise<string> => {
    const name = await runPod({ command: ['sh', '-c', 'cat /etc/resolv.conf; echo "<<end"; sleep 1000'] }, spec);
    return (await logsUntil(name, '<<end')).replace(/<<end\n?$/, '');
  };
  const host = readHostDNS(false);
  const clusterFirst = await resolv({});
  t.is(clusterFirst, [
    `search ${['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', ...host.searches.filter((s) => !['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'].includes(s))].join(' ')}`,
    `nameserver ${CLUSTER_DNS}`,
    'options ndots:5',
    '',
  ].join('\n'));
  t.is(await resolv({ dnsPolicy: 'Default' }), formatResolvConf(host));
  t.is(await resolv({ dnsPolicy: 'None', dnsConfig: { nameservers: ['198.18.0.53'], searches: ['corp.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }),
    'search corp.example\nnameserver 198.18.0.53\noptions ndots:2 edns0\n');
});
