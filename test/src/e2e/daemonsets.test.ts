// End to end, DaemonSets and ReplicationControllers on a local cluster of three process-
// runtime nodes, driven with the built tctl: one pod per node (a fourth node that joins with
// `tctl cluster join-config` gets one), a tainted node skipped unless the pod tolerates the
// taint, a rolling update that replaces one node's pod at a time (watched through the API),
// an RC of 3 that scales, and a DaemonSet whose selector misses its template refused.
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { retryOnConflict, type KubeObject, type Node, type Taint } from '@tugboat/api';
import { AGENT_BIN, stopAgentAndContainers } from '../harness/agent.js';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { freePort } from '../harness/ports.js';
import { eventually, followPods, podsOf, type PodItem, type PodView } from './helpers.js';

let cluster: LocalClusterHandle;
let joined: ChildProcess | undefined;
let work = '';

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), 'tugboat-e2e-ds-'));
  cluster = await startLocalCluster({ nodes: 3, runtime: 'process' });
});

test.after.always(async () => {
  if (work) await stopAgentAndContainers(joined, join(work, 'data'));
  await cluster?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

function daemonSet(name: string, o: { env?: string; tolerate?: string; maxUnavailable?: number } = {}): string {
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  selector:
    matchLabels: {app: ${name}}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: ${o.maxUnavailable ?? 1}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 2
${o.tolerate ? `      tolerations:\n      - {key: ${o.tolerate}, operator: Exists, effect: NoSchedule}\n` : ''}      containers:
      - name: main
        image: busybox
        command: ["sleep", "3600"]
        env:
        - {name: VERSION, value: "${o.env ?? 'v1'}"}
        resources:
          requests: {cpu: 10m, memory: 8Mi}
`;
}

const running = (pods: readonly PodView[]): PodView[] => pods.filter((p) => !p.metadata.deletionTimestamp && p.status.phase === 'Running');
const nodesOf = (pods: readonly PodView[]): string[] => pods.map((p) => p.spec.nodeName ?? '?').sort();

async function runningOn(app: string, nodes: string[], timeoutMs = 60_000): Promise<PodView[]> {
  let last: PodView[] = [];
  return eventually(`${app} running on ${nodes.join(',')}`, async () => {
    last = running(await podsOf(cluster, `app=${app}`));
    const all = (await podsOf(cluster, `app=${app}`)).filter((p) => !p.metadata.deletionTimestamp);
    return JSON.stringify(nodesOf(last)) === JSON.stringify(nodes) && all.length === nodes.length ? last : undefined;
  }, timeoutMs).catch((e: unknown) => { throw new Error(`${String(e)}; running on ${nodesOf(last).join(',')}`); });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await cluster.tctl(args, input);
  if (r.code !== 0) throw new Error(`tctl ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

test.serial('3 nodes give 3 pods; a 4th node that joins gets one; get ds and rollout status', async (t) => {
  t.is(await ok(['apply', '-f', '-'], daemonSet('agent')), 'daemonset.apps/agent created\n');
  await runningOn('agent', ['node-1', 'node-2', 'node-3']);
  const status = await cluster.tctl(['rollout', 'status', 'daemonset/agent', '--timeout', '60s']);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /daemon set "agent" successfully rolled out\n$/);
  const table = await ok(['get', 'ds']);
  t.regex(table, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/m);
  t.regex(table, /^agent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\S+$/m);

  // A node joining as an operator adds one: join-config, then the agent it prints (here, on loopback).
  const dir = join(work, 'node-4');
  const jc = await ok(['cluster', 'join-config', 'node-4', '--address', '127.0.0.1', '--server', cluster.server, '--out', dir]);
  const command = jc.split('\n').map((l) => l.trim()).find((l) => l.startsWith('tugboat-agent '));
  t.truthy(command, jc);
  const args = command!.split(/\s+/).slice(1);
  args[args.indexOf('--listen') + 1] = `127.0.0.1:${await freePort()}`;
  joined = spawn(process.execPath, [AGENT_BIN, ...args, '--runtime', 'process', '--data-dir', join(work, 'data'),
    '--http-listen', `127.0.0.1:${await freePort()}`], { stdio: 'ignore', env: { ...process.env, TUGBOAT_HOME: join(work, 'home') } });
  const started = Date.now();
  await runningOn('agent', ['node-1', 'node-2', 'node-3', 'node-4']);
  t.log(`the joined node's daemon pod ran ${((Date.now() - started) / 1000).toFixed(1)} s after its agent started`);
  await eventually('status of 4', async () => /^agent\s+4\s+4\s+4\s+4\s+4\s/m.test(await ok(['get', 'ds', 'agent'])));
  const described = await ok(['describe', 'ds', 'agent']);
  t.regex(described, /^Desired Number of Nodes Scheduled:\s+4$/m);
  t.regex(described, /^Pods Status:\s+4 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
});

test.serial('a tainted node is skipped unless the pod tolerates the taint', async (t) => {
  const taint = async (taints: Taint[]): Promise<void> => {
    const client = cluster.client();
    try {
      // The agent writes its Node too: read again on a conflict.
      await retryOnConflict(async () => {
        const node = await client.get<Node & KubeObject>('nodes', '', 'node-2');
        await client.update({ ...node, spec: { ...node.spec, taints } });
      });
    } finally {
      client.close();
    }
  };
  await taint([{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  await ok(['apply', '-f', '-'], daemonSet('plain'));
  await ok(['apply', '-f', '-'], daemonSet('tolerant', { tolerate: 'dedicated' }));
  await runningOn('tolerant', ['node-1', 'node-2', 'node-3', 'node-4']);
  await runningOn('plain', ['node-1', 'node-3', 'node-4']);
  t.regex(await ok(['get', 'ds', 'plain']), /^plain\s+3\s+3\s+3\s+3\s+3\s/m);
  // The taint gone, the node gets its pod.
  await taint([]);
  await runningOn('plain', ['node-1', 'node-2', 'node-3', 'node-4']);
  await ok(['delete', 'ds', 'plain', 'tolerant']);
});

test.serial('a rolling update replaces one node at a time: never more than maxUnavailable nodes without a ready pod', async (t) => {
  const isReady = (p: PodItem): boolean => !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  let worst = 0;
  let changes = 0;
  const follower = await followPods(cluster, 'app=agent', (pods) => {
    changes++;
    const ready = new Set(pods.filter(isReady).map((p) => p.spec?.nodeName));
    worst = Math.max(worst, 4 - ready.size);
  });
  const started = Date.now();
  try {
    t.is(worst, 0);
    t.is(await ok(['apply', '-f', '-'], daemonSet('agent', { env: 'v2' })), 'daemonset.apps/agent configured\n');
    const status = await cluster.tctl(['rollout', 'status', 'ds/agent', '--timeout', '120s']);
    t.is(status.code, 0, status.stderr);
    t.regex(status.stdout, /daemon set "agent" successfully rolled out\n$/);
    const pods = await runningOn('agent', ['node-1', 'node-2', 'node-3', 'node-4']);
    t.true(pods.every((p) => p.spec.containers[0]?.env?.[0]?.value === 'v2'));
  } finally {
    await follower.stop();
  }
  t.log(`rolling update of 4 nodes: ${((Date.now() - started) / 1000).toFixed(1)} s; ${changes} pod events watched; most nodes without a ready pod at once: ${worst}`);
  t.is(worst, 1, 'one node at a time, and the update did happen');
  const revisions = await ok(['get', 'controllerrevisions']);
  t.regex(revisions, /^agent-\S+\s+daemonset\.apps\/agent\s+1\s/m);
  t.regex(revisions, /^agent-\S+\s+daemonset\.apps\/agent\s+2\s/m);
});

test.serial('a ReplicationController of 3 runs 3 pods, and scales', async (t) => {
  const rc = `apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  replicas: 3
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: busybox
        command: ["sleep", "3600"]
`;
  t.is(await ok(['apply', '-f', '-'], rc), 'replicationcontroller/nginx created\n');
  await eventually('3 running', async () => running(await podsOf(cluster, 'app=nginx')).length === 3);
  await eventually('get rc: 3 ready', async () => /^nginx\s+3\s+3\s+3\s+\S+$/m.test(await ok(['get', 'rc'])));
  t.regex(await ok(['get', 'rc']), /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m);
  t.is(await ok(['scale', 'rc/nginx', '--replicas', '1']), 'replicationcontroller/nginx scaled\n');
  await eventually('1 left', async () => (await podsOf(cluster, 'app=nginx')).filter((p) => !p.metadata.deletionTimestamp).length === 1);
  await eventually('get rc: 1', async () => /^nginx\s+1\s+1\s+1\s+\S+$/m.test(await ok(['get', 'rc', 'nginx'])));
  await ok(['delete', 'rc', 'nginx']);
});

test.serial('a DaemonSet whose selector does not match its template is refused with one line naming the field; nothing is stored', async (t) => {
  const bad = daemonSet('bad').replace('matchLabels: {app: bad}', 'matchLabels: {app: other}');
  const r = await cluster.tctl(['apply', '-f', '-'], bad);
  t.is(r.code, 1);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.regex(r.stderr, /DaemonSet.* "bad" is invalid: spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
  const get = await cluster.tctl(['get', 'ds', 'bad']);
  t.is(get.code, 1);
  t.regex(get.stderr, /not found/);
});

// Real kubectl (when installed), pointed at the cluster by the kubeconfig `cluster up` writes, as
// kubectl.test.ts does. The manifest is the fluentd-elasticsearch example of Kubernetes' DaemonSet
// page, with two changes for the process runtime, which runs a container's command on the host and
// reads no image: the image is busybox with a command, and the hostPath /var/log mount is left out.
const haveKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!haveKubectl) console.log('daemonsets.test.ts: the kubectl test is skipped: no kubectl on PATH');
const FLUENTD = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: fluentd-elasticsearch
  namespace: kube-system
  labels:
    k8s-app: fluentd-logging
spec:
  selector:
    matchLabels:
      name: fluentd-elasticsearch
  template:
    metadata:
      labels:
        name: fluentd-elasticsearch
    spec:
      tolerations:
      # these tolerations are to have the daemonset runnable on control plane nodes
      # remove them if your control plane nodes should not run pods
      - key: node-role.kubernetes.io/control-plane
        operator: Exists
        effect: NoSchedule
      - key: node-role.kubernetes.io/master
        operator: Exists
        effect: NoSchedule
      containers:
      - name: fluentd-elasticsearch
        image: busybox
        command: ["sleep", "3600"]
        resources:
          limits:
            memory: 200Mi
          requests:
            cpu: 100m
            memory: 200Mi
      terminationGracePeriodSeconds: 30
`;

(haveKubectl ? test.serial : test.serial.skip)('kubectl: apply the fluentd-elasticsearch DaemonSet, get ds, rollout status', async (t) => {
  const env = { ...process.env, KUBECONFIG: join(cluster.home, 'kubeconfig'), HOME: work };
  const kubectl = (args: string[], input?: string): { code: number | null; stdout: string; stderr: string } => {
    const r = spawnSync('kubectl', args, { env, input: input ?? '', encoding: 'utf8', timeout: 120_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  // By apply: `kubectl create namespace` sends protobuf, which the API server does not read (yet).
  const ns = kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system}\n');
  t.is(ns.code, 0, ns.stderr);
  const apply = kubectl(['apply', '-f', '-'], FLUENTD);
  t.is(apply.stdout, 'daemonset.apps/fluentd-elasticsearch created\n', apply.stderr);
  const status = kubectl(['rollout', 'status', 'ds/fluentd-elasticsearch', '-n', 'kube-system', '--timeout=90s']);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /daemon set "fluentd-elasticsearch" successfully rolled out/);
  const get = kubectl(['get', 'ds', '-n', 'kube-system']);
  t.regex(get.stdout, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/m);
  // Every node of the cluster (4 after the join test; 3 when run alone).
  t.regex(get.stdout, /^fluentd-elasticsearch\s+([34])\s+\1\s+\1\s+\1\s+\1\s+<none>\s+\S+$/m);
  const again = kubectl(['apply', '-f', '-'], FLUENTD);
  t.is(again.stdout, 'daemonset.apps/fluentd-elasticsearch unchanged\n', again.stderr);
});
