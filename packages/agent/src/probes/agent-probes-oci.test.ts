// Probes on real containers: the built tugboat-agent with `--runtime oci`, a busybox image
// from a local registry, httpGet/tcpSocket probes to the pod's own IP on the node bridge and
// exec probes through runc exec. Skipped only where containers cannot run (not root, no
// runc) or etcd is missing.
import test from 'ava';
import type { KubeObject, Pod, TugboatClient } from '@tugboat/api';
import type { AgentProcess } from '../testing/agent-process.js';
import { ociSkipReason, startOciNode, type OciNode } from '../testing/oci-node.js';
import { podWatch } from '../testing/pod-watch.js';

type PodObject = Pod & KubeObject;

const skipReason = ociSkipReason();
if (skipReason) console.log(`oci probe tests skipped: ${skipReason}`);
const maybe = skipReason ? test.skip : test.serial;

// Inside 198.18.0.0/15 (reserved for network tests), apart from the other oci tests' 198.18.x.
const POD_CIDR = `198.19.${20 + (process.pid % 200)}.0/24`;
const NODE = `oci-probes-${process.pid}`;

let node: OciNode | undefined;
let client: TugboatClient;
let image = '';
let agent: AgentProcess | undefined;

test.before(async () => {
  if (skipReason) return;
  node = await startOciNode({ nodeName: NODE, podCIDR: POD_CIDR });
  ({ client, image, agent } = node);
});

test.after.always(async (t) => {
  await node?.stop((m) => t.log(m));
});

async function runPod(name: string, container: Record<string, unknown>): Promise<void> {
  await client.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    // sh as pid 1 ignores SIGTERM: a short grace period keeps the kills quick.
    spec: { containers: [{ name: 'c', image, ...container }], terminationGracePeriodSeconds: 1 },
  });
  await client.bind('default', name, NODE);
}

const { waitPod, waitEvent } = podWatch(() => client, { timeoutMs: 30_000, context: () => `agent: ${agent?.output().slice(-2000) ?? ''}` });

const ready = (p: PodObject): string | undefined => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;

maybe('httpGet readiness reaches the pod IP: 404 keeps it out of Ready, then the page appears and it is Ready', async (t) => {
  const name = 'oci-probe-http';
  await runPod(name, {
    command: ['sh', '-c', 'httpd -p 8080 -h /var/www; sleep 4; echo ok > /var/www/ready.html; exec sleep 1000'],
    ports: [{ name: 'web', containerPort: 8080 }],
    readinessProbe: { httpGet: { port: 'web', path: '/ready.html' }, periodSeconds: 1 },
  });
  const running = await waitPod(name, 'Running', (p) => p.status?.phase === 'Running');
  t.true(running.status?.podIP?.startsWith('198.19.'), running.status?.podIP);
  await waitEvent(name, 'a 404 from the readiness probe', (e) => e.reason === 'Unhealthy' && e.message === 'Readiness probe failed: HTTP probe failed with statuscode: 404');
  t.not(ready(await waitPod(name, 'listed', () => true)), 'True');
  const after = await waitPod(name, 'Ready', (p) => ready(p) === 'True');
  t.like(after.status?.containerStatuses?.[0], { ready: true, restartCount: 0 });
  await client.delete('pods', 'default', name, { gracePeriodSeconds: 0 });
});

maybe('exec liveness through runc exec restarts the container once its check fails; tcpSocket readiness passes meanwhile', async (t) => {
  const name = 'oci-probe-exec';
  await runPod(name, {
    command: ['sh', '-c', 'touch /tmp/alive; httpd -p 8080 -h /var/www; sleep 4; rm /tmp/alive; exec sleep 1000'],
    livenessProbe: { exec: { command: ['test', '-f', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 },
    readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
  });
  await waitPod(name, 'Ready', (p) => ready(p) === 'True');
  const restarted = await waitPod(name, 'restarted', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  t.truthy(restarted.status?.containerStatuses?.[0]?.lastState?.terminated);
  const unhealthy = await waitEvent(name, 'Unhealthy', (e) => e.reason === 'Unhealthy' && e.message?.startsWith('Liveness probe failed') === true);
  const killing = await waitEvent(name, 'Killing', (e) => e.reason === 'Killing' && e.message === 'Container c failed liveness probe, will be restarted');
  t.true(Date.parse(unhealthy.firstTimestamp ?? '') <= Date.parse(killing.firstTimestamp ?? ''));
  // The new instance starts healthy again and, once its port answers, is Ready.
  await waitPod(name, 'Ready again', (p) => ready(p) === 'True' && (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  await client.delete('pods', 'default', name, { gracePeriodSeconds: 0 });
});
