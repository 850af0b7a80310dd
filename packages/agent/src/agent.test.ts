// The agent end to end against a real API server and etcd: the built tugboat-agent binary
// as a child process (so it can be SIGKILLed and started again), pods bound to its node
// directly with Bind (no scheduler needed), real host processes.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { channelCredentials, loadProtos, retryOnConflict, tlsChannelOptions, type KubeObject, type Lease, type Node, type Pod, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { containerLogFile } from './logs/pod-log-layout.js';
import { killContainers } from './runtimes/process/kill-containers.js';
import { isSameProcessAlive } from './system/proc.js';
import { containerDir, readJson, recordPath, type PidRecord } from './runtimes/process/records.js';
import { startAgentProcess, type AgentProcess } from './testing/agent-process.js';
import { podWatch } from './testing/pod-watch.js';

type PodObject = Pod & KubeObject;
type NodeObject = Node & KubeObject;

let etcd: EtcdHandle | undefined;
let api: ApiServerHandle | undefined;
let client: TugboatClient;
const cleanups: (() => Promise<void> | void)[] = [];

test.before(async () => {
  if (!etcdAvailable()) return;
  etcd = await startEtcd();
  api = await startApiServerInProcess(etcd.endpoint);
  client = api.client();
});

test.after.always(async () => {
  for (const c of cleanups.reverse()) await c();
  await api?.stop();
  await etcd?.destroy();
});

let nodeSeq = 0;
async function startTestAgent(extra: string[] = [], name = `node-${process.pid}-${++nodeSeq}`, runtime: 'process' | 'fake' = 'process'): Promise<AgentProcess> {
  if (!api) throw new Error('no API server');
  const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-agent-it-'));
  // Hollow nodes share one kubeconfig, which must be allowed to act for all of them.
  const identity = extra.includes('--hollow') ? 'admin' : 'node';
  const agent = await startAgentProcess({ server: api.address, nodeName: name, dataDir, runtime, identity, args: extra });
  cleanups.push(async () => {
    await agent.kill('SIGTERM');
    killContainers(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
  });
  return agent;
}

let podSeq = 0;
async function runPod(nodeName: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}): Promise<PodObject> {
  const name = `p${++podSeq}`;
  const pod = await client.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...spec },
  });
  await client.bind('default', name, nodeName);
  return pod;
}

async function getPod(name: string): Promise<PodObject | undefined> {
  return client.tryGet<PodObject>('pods', 'default', name);
}

const { waitPod, eventsOf, waitEvent } = podWatch(() => client);

function pidOf(agent: AgentProcess, pod: PodObject, attempt: number, container = 'c'): PidRecord | undefined {
  return readJson<PidRecord>(recordPath(containerDir(agent.dataDir, pod.metadata?.uid ?? '', container), attempt, 'pid'));
}

test.serial('registers its Node (labels, addresses, endpoint, nodeInfo, Ready), sends heartbeats and renews its Lease', async (t) => {
  if (!api) { t.pass('etcd is not installed: skipped'); return; }
  const agent = await startTestAgent(['--labels', 'tier=edge', '--taints', 'dedicated=gpu:NoSchedule', '--capacity', 'cpu=3,pods=20', '--lease-renew-interval', '2s']);
  const node = await client.get<NodeObject>('nodes', '', agent.nodeName);
  t.is(node.metadata?.labels?.['kubernetes.io/hostname'], agent.nodeName);
  t.is(node.metadata?.labels?.['kubernetes.io/os'], 'linux');
  t.truthy(node.metadata?.labels?.['kubernetes.io/arch']);
  t.is(node.metadata?.labels?.['tier'], 'edge');
  t.deepEqual(node.spec?.taints, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
  t.is(node.status?.capacity?.['cpu'], '3');
  t.is(node.status?.capacity?.['pods'], '20');
  t.regex(node.status?.capacity?.['memory'] ?? '', /^\d+Ki$/);
  t.deepEqual(node.status?.addresses?.[0], { type: 'InternalIP', address: '127.0.0.1' });
  t.is(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, agent.grpcPort());
  t.is(node.status?.nodeInfo?.kubeletVersion, 'v0.1.0');
  t.regex(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^process:\/\//);
  t.is(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
  const lease1 = await client.get<Lease & KubeObject>('leases', 'tugboat-node-lease', agent.nodeName);
  t.is(lease1.spec?.holderIdentity, agent.nodeName);
  // Every --lease-interval (2 s) a heartbeat, which the API server stores in its own Lease.
  await waitFor('a heartbeat batch naming the node', async () => (await client.list<KubeObject>('leases', { namespace: 'tugboat-system', labelSelector: 'tugboat.io/node-heartbeats=true' })).items
    .some((l) => (l.metadata?.annotations?.['tugboat.io/nodes'] ?? '').split(',').includes(agent.nodeName)), 5_000);
  // And every --lease-renew-interval, the node's own Lease.
  await waitFor('the lease to be renewed', async () => {
    const l = await client.get<Lease & KubeObject>('leases', 'tugboat-node-lease', agent.nodeName);
    return l.spec?.renewTime !== lease1.spec?.renewTime;
  }, 6_000);
  // Usage is published within the status interval.
  await waitFor('usage annotations', async () => {
    const n = await client.get<NodeObject>('nodes', '', agent.nodeName);
    const usage = n.metadata?.annotations?.['tugboat.io/usage'];
    return !!usage && /"cpu":"\d+m?"/.test(usage) && /"memory":"\d+(Ki|Mi|Gi)?"/.test(usage);
  }, 5_000);
  // The PLEG relists every second; its interval is measured from the second relist on.
  let metrics = '';
  await waitFor('two PLEG relists', async () => {
    metrics = await (await fetch(`http://127.0.0.1:${agent.httpPort()}/metrics`)).text();
    return /^kubelet_pleg_relist_interval_seconds_count [1-9]/m.test(metrics);
  }, 5_000);
  // kubelet's names (no pods here yet: the counts are 0), the PLEG's relists every second.
  t.regex(metrics, /^kubelet_running_pods 0$/m);
  t.regex(metrics, /^kubelet_running_containers\{container_state="running"\} 0$/m);
  t.regex(metrics, /^kubelet_pod_start_duration_seconds_count 0$/m);
  t.regex(metrics, /^kubelet_pleg_relist_duration_seconds_count [1-9]/m);
  t.regex(metrics, /^kubelet_pleg_relist_interval_seconds_count [1-9]/m);
  t.regex(metrics, /^kubelet_runtime_operations_total\{operation_type="list_containers"\} [1-9]/m);
  t.regex(metrics, /^prober_probe_total|^# TYPE prober_probe_total counter$/m);
  t.regex(metrics, /^process_cpu_seconds_total /m);
  t.is(await (await fetch(`http://127.0.0.1:${agent.httpPort()}/healthz`)).text(), 'ok\n');
  // A restarted agent updates the Node rather than recreating it, and leaves cordon alone.
  // The agent writes its Node every second: read afresh on a conflict.
  await retryOnConflict(async () => { await client.update<NodeObject>({ ...(await client.get<NodeObject>('nodes', '', agent.nodeName)), spec: { ...node.spec, unschedulable: true } }); });
  await agent.kill('SIGTERM');
  await agent.restart();
  const again = await client.get<NodeObject>('nodes', '', agent.nodeName);
  t.is(again.metadata?.uid, node.metadata?.uid);
  t.true(again.spec?.unschedulable);
});

test.serial('runs a pod: Running, its process alive with its env; logs stream as written', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent();
  const pod = await runPod(agent.nodeName, {
    command: ['sh', '-c'],
    args: ['echo "hello $(GREETING) from $POD_NAME"; i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.2; done'],
    env: [
      { name: 'GREETING', value: 'world' },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
  });
  const name = pod.metadata?.name ?? '';
  const running = await waitPod(name, 'Running', (p) => p.status?.phase === 'Running' && !!p.status.containerStatuses?.[0]?.ready);
  const cs = running.status?.containerStatuses?.[0];
  t.regex(cs?.containerID ?? '', /^process:\/\//);
  t.is(cs?.restartCount, 0);
  t.truthy(cs?.state?.running?.startedAt);
  t.is(running.status?.hostIP, '127.0.0.1');
  t.is(running.status?.podIP, '127.0.0.1');
  t.truthy(running.status?.startTime);
  const types = (running.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type).sort();
  t.deepEqual(types, ['ContainersReady', 'Initialized', 'PodScheduled', 'Ready']);
  const rec = pidOf(agent, running, 0);
  t.truthy(rec && isSameProcessAlive(rec.pid, rec.startTime));

  // Through the API server's proxy, as tctl logs -f does.
  const stream = client.logs('default', name, { follow: true });
  let text = '';
  for await (const chunk of stream) {
    text += chunk.data.toString();
    if (text.includes('tick3\n')) break;
  }
  stream.close();
  t.true(text.startsWith('hello world from ' + name + '\ntick1\n'), text);
  // Straight from the agent, with --tail, as the API server asks it: its kubelet-client certificate.
  const Pods = loadProtos().tugboat.v1.Pods;
  const agentAddress = `127.0.0.1:${agent.grpcPort()}`;
  const kubeletClient = api!.pki.credentials(api!.pki.kubeletClient);
  const direct = new Pods(agentAddress, channelCredentials(kubeletClient, agentAddress), tlsChannelOptions(kubeletClient, agentAddress));
  const tail = await new Promise<string>((resolve, reject) => {
    let s = '';
    const call = direct.logs({ namespace: 'default', name, tailLines: 1 });
    call.on('data', (c: { data: Buffer }) => { s += c.data.toString(); });
    call.on('end', () => resolve(s));
    call.on('error', reject);
  });
  direct.close();
  t.regex(tail, /^tick\d+\n$/);
  // Exec through the API server too; the pod's KUBERNETES_SERVICE_HOST/PORT are the API
  // server as the agent reaches it (a process pod shares the host's network).
  const ex = await client.exec('default', name, ['sh', '-c', 'echo "$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"']);
  t.is(ex.exitCode, 0);
  t.is(ex.stdout.toString(), `${api!.address}\n`);
  // ServiceAccount admission gave it a token volume: the process runtime has no volumes and runs it all the same.
  t.true(running.spec?.volumes?.some((v) => v.name.startsWith('kube-api-access-') && !!v.projected), JSON.stringify(running.spec?.volumes));
  const reasons = (await eventsOf(name)).map((e) => e.reason);
  t.true(reasons.includes('Started'));
});

test.serial('a crashing container with restartPolicy Always: restartCount grows, CrashLoopBackOff', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent();
  const pod = await runPod(agent.nodeName, { command: ['sh', '-c', 'echo crash; exit 1'] });
  const name = pod.metadata?.name ?? '';
  const looping = await waitPod(name, 'in CrashLoopBackOff after 2 restarts', (p) => {
    const cs = p.status?.containerStatuses?.[0];
    return (cs?.restartCount ?? 0) >= 2 && cs?.state?.waiting?.reason === 'CrashLoopBackOff';
  });
  const cs = looping.status?.containerStatuses?.[0];
  t.regex(cs?.state?.waiting?.message ?? '', new RegExp(`^back-off \\ds restarting failed container=c pod=${name}_default\\(`));
  t.is(cs?.lastState?.terminated?.exitCode, 1);
  t.is(cs?.lastState?.terminated?.reason, 'Error');
  t.is(looping.status?.phase, 'Running');
  // logs --previous: the last terminated instance.
  const prev = client.logs('default', name, { previous: true });
  let text = '';
  for await (const c of prev) text += c.data.toString();
  t.is(text, 'crash\n');
});

test.serial('logs -f follows the container across restarts; several containers need -c', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent();
  const pod = await runPod(agent.nodeName, { command: ['sh', '-c', 'echo run; sleep 0.3; exit 1'] });
  const name = pod.metadata?.name ?? '';
  await waitPod(name, 'started', (p) => !!p.status?.containerStatuses?.[0]?.containerID);
  const stream = client.logs('default', name, { follow: true });
  let text = '';
  for await (const chunk of stream) {
    text += chunk.data.toString();
    if (text === 'run\nrun\n') break;
  }
  stream.close();
  t.is(text, 'run\nrun\n');

  const two = await runPod(agent.nodeName, { name: 'app', command: ['sh', '-c', 'echo from-app; sleep 1000'] }, {
    containers: [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'echo from-app; sleep 1000'] }, { name: 'side', image: 'busybox', command: ['sh', '-c', 'echo from-side; sleep 1000'] }],
  });
  const twoName = two.metadata?.name ?? '';
  await waitPod(twoName, 'Running', (p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.ready));
  const err = await t.throwsAsync(async () => { for await (const c of client.logs('default', twoName)) void c; });
  t.regex(err?.message ?? '', /a container name must be specified for pod p\d+, choose one of: \[app side\]/);
  let side = '';
  for await (const c of client.logs('default', twoName, { container: 'side' })) side += c.data.toString();
  t.is(side, 'from-side\n');
});

test.serial('restartPolicy Never: exit 1 ends Failed with exit code 1; a command not found is a clear StartError and an Event', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent();
  const failing = await runPod(agent.nodeName, { command: ['sh', '-c', 'exit 1'] }, { restartPolicy: 'Never' });
  const failed = await waitPod(failing.metadata?.name ?? '', 'Failed', (p) => p.status?.phase === 'Failed');
  const term = failed.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(term?.exitCode, 1);
  t.is(term?.reason, 'Error');
  t.is(failed.status?.containerStatuses?.[0]?.restartCount, 0);

  const ok = await runPod(agent.nodeName, { command: ['true'] }, { restartPolicy: 'OnFailure' });
  const done = await waitPod(ok.metadata?.name ?? '', 'Succeeded', (p) => p.status?.phase === 'Succeeded');
  t.is(done.status?.containerStatuses?.[0]?.state?.terminated?.reason, 'Completed');

  const missing = await runPod(agent.nodeName, { command: ['no-such-command-xyz'] }, { restartPolicy: 'Never' });
  const mname = missing.metadata?.name ?? '';
  const bad = await waitPod(mname, 'Failed', (p) => p.status?.phase === 'Failed');
  const t2 = bad.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(t2?.reason, 'StartError');
  t.is(t2?.exitCode, 128);
  t.regex(t2?.message ?? '', /exec: "no-such-command-xyz": executable file not found in \$PATH/);
  await waitEvent(mname, 'a Failed event', (e) => e.reason === 'Failed' && e.type === 'Warning' && /executable file not found/.test(e.message ?? ''), 5_000);
  // The agent keeps running its other pods.
  const next = await runPod(agent.nodeName, { command: ['sleep', '1000'] });
  await waitPod(next.metadata?.name ?? '', 'Running', (p) => p.status?.phase === 'Running');
});

test.serial('deletion: SIGTERM, then SIGKILL after the grace period, then the object goes away', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent();
  const polite = await runPod(agent.nodeName, { command: ['sleep', '1000'] });
  const stubborn = await runPod(agent.nodeName, { command: ['sh', '-c', 'trap "" TERM; while :; do sleep 0.1; done'] }, { terminationGracePeriodSeconds: 2 });
  const p1 = await waitPod(polite.metadata?.name ?? '', 'Running', (p) => p.status?.phase === 'Running');
  const p2 = await waitPod(stubborn.metadata?.name ?? '', 'Running', (p) => p.status?.phase === 'Running');
  const r1 = pidOf(agent, p1, 0);
  const r2 = pidOf(agent, p2, 0);
  await client.delete('pods', 'default', p1.metadata?.name ?? '', { gracePeriodSeconds: 30 });
  await client.delete('pods', 'default', p2.metadata?.name ?? '');
  const started = Date.now();
  await waitFor('the polite pod to go', async () => !(await getPod(p1.metadata?.name ?? '')), 10_000);
  t.true(Date.now() - started < 10_000);
  t.false(isSameProcessAlive(r1?.pid ?? 0, r1?.startTime));
  await waitFor('the stubborn pod to go', async () => !(await getPod(p2.metadata?.name ?? '')), 10_000);
  t.true(Date.now() - started >= 1_900, 'SIGTERM was ignored: the grace period was waited out');
  t.false(isSameProcessAlive(r2?.pid ?? 0, r2?.startTime));
});

test.serial('SIGKILL of the agent and a restart: the same processes, restartCount unchanged; orphans of deleted pods are stopped', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent();
  const steady = await runPod(agent.nodeName, { command: ['sleep', '1000'] });
  const crashy = await runPod(agent.nodeName, { command: ['sh', '-c', 'sleep 0.2; exit 3'] });
  const doomed = await runPod(agent.nodeName, { command: ['sleep', '1000'] });
  const s1 = await waitPod(steady.metadata?.name ?? '', 'Running', (p) => p.status?.phase === 'Running');
  const c1 = await waitPod(crashy.metadata?.name ?? '', 'restarted', (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  const d1 = await waitPod(doomed.metadata?.name ?? '', 'Running', (p) => p.status?.phase === 'Running');
  const steadyPid = pidOf(agent, s1, 0);
  const doomedPid = pidOf(agent, d1, 0);
  await agent.kill('SIGKILL');
  t.true(isSameProcessAlive(steadyPid?.pid ?? 0, steadyPid?.startTime), 'containers outlive the agent');
  // While the agent is down: the pod goes away for good (force delete).
  await client.delete('pods', 'default', d1.metadata?.name ?? '', { gracePeriodSeconds: 0 });
  const crashCount = (await getPod(c1.metadata?.name ?? ''))?.status?.containerStatuses?.[0]?.restartCount ?? 0;
  await agent.restart();
  await waitFor('the orphan container to be stopped', () => !isSameProcessAlive(doomedPid?.pid ?? 0, doomedPid?.startTime), 10_000);
  // Give the restarted agent time to (wrongly) start duplicates: it must adopt instead.
  await new Promise((r) => setTimeout(r, 1_500));
  const s2 = await getPod(s1.metadata?.name ?? '');
  t.is(s2?.status?.phase, 'Running');
  t.is(s2?.status?.containerStatuses?.[0]?.restartCount, 0);
  t.is(s2?.status?.containerStatuses?.[0]?.containerID, s1.status?.containerStatuses?.[0]?.containerID);
  t.true(isSameProcessAlive(steadyPid?.pid ?? 0, steadyPid?.startTime));
  t.is(pidOf(agent, s1, 1), undefined, 'no second instance was started');
  const c2 = await getPod(c1.metadata?.name ?? '');
  t.true((c2?.status?.containerStatuses?.[0]?.restartCount ?? 0) >= crashCount, 'restartCount carries on from before the restart');
  t.regex(agent.output(), /exists: updating it/);
});

test.serial('--hollow N serves N fake nodes from one process', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent(['--hollow', '3', '--fake-start-delay', '200ms', '--capacity', 'cpu=8,memory=16Gi'], `hollow-${process.pid}`, 'fake');
  const names = [1, 2, 3].map((i) => `${agent.nodeName}-${i}`);
  for (const n of names) {
    const node = await client.get<NodeObject>('nodes', '', n);
    t.is(node.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
    t.regex(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^fake:\/\//);
  }
  const pod = await runPod(names[1] ?? '', { image: 'nginx', resources: { requests: { cpu: '250m', memory: '64Mi' } } });
  const running = await waitPod(pod.metadata?.name ?? '', 'Running', (p) => p.status?.phase === 'Running');
  t.regex(running.status?.containerStatuses?.[0]?.containerID ?? '', /^fake:\/\//);
  await client.delete('pods', 'default', pod.metadata?.name ?? '');
  await waitFor('the hollow pod to go', async () => !(await getPod(pod.metadata?.name ?? '')), 10_000);
});

test.serial('an unchanged node status is written only at the report interval; a Ready condition set to Unknown is put right at once', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent(['--node-status-interval', '200ms', '--node-status-report-interval', '2s'], `report-${process.pid}`, 'fake');
  const name = agent.nodeName;
  const readyOf = (n: NodeObject | undefined): { status?: string; lastHeartbeatTime?: string } | undefined => n?.status?.conditions?.find((c) => c.type === 'Ready');
  // Past registration and the first usage report.
  await waitFor('usage annotations', async () => !!(await client.get<NodeObject>('nodes', '', name)).metadata?.annotations?.['tugboat.io/usage'], 5_000);
  const start = await client.get<NodeObject>('nodes', '', name);
  const writes: NodeObject[] = [];
  const watch = client.watch<NodeObject>('nodes', { fieldSelector: `metadata.name=${name}`, resourceVersion: start.metadata?.resourceVersion ?? '' });
  const collecting = (async () => { for await (const e of watch) if (e.type === 'MODIFIED') writes.push(e.object); })().catch(() => undefined);
  await new Promise((r) => setTimeout(r, 4_500));
  // 22 status intervals; written at the 2 s report interval only (status and usage: about 4
  // writes), where every interval would write twice.
  t.true(writes.length >= 1 && writes.length <= 7, `${writes.length} writes in 4.5 s`);
  t.true(writes.some((n) => readyOf(n)?.lastHeartbeatTime !== readyOf(start)?.lastHeartbeatTime), 'the heartbeat moved at the report interval');

  // The node lifecycle controller's verdict on a node it stopped hearing from.
  const flippedAt = Date.now();
  await retryOnConflict(async () => {
    const n = await client.get<NodeObject>('nodes', '', name);
    const conditions = (n.status?.conditions ?? []).map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c));
    await client.updateStatus<NodeObject>({ ...n, status: { ...n.status, conditions } });
  });
  await waitFor('Ready True again', async () => readyOf(await client.get<NodeObject>('nodes', '', name))?.status === 'True', 3_000, 50);
  t.true(Date.now() - flippedAt < 3_000);
  watch.close();
  await collecting;
});

test.serial('hollow nodes that registered together renew their Leases spread over the interval, not in lockstep', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const count = 40;
  // The Lease renewed at every beat, so its renewTime shows when each node beats.
  const agent = await startTestAgent(['--hollow', String(count), '--lease-interval', '1s', '--lease-renew-interval', '1s'], `spread-${process.pid}`, 'fake');
  const names = Array.from({ length: count }, (_, i) => `${agent.nodeName}-${i + 1}`);
  const renewals = async (): Promise<number[]> => (await client.list<Lease & KubeObject>('leases', { namespace: 'tugboat-node-lease' })).items
    .filter((l) => names.includes(l.metadata?.name ?? ''))
    .map((l) => Date.parse(String(l.spec?.renewTime ?? '')));
  const first = await renewals();
  t.is(first.length, count);
  // A few renewals each, so every node is on its periodic timer.
  await waitFor('every lease renewed twice more', async () => (await renewals()).every((r, i) => r - (first[i] ?? 0) >= 1_500), 10_000, 200);
  // Where in the second each node renews: in lockstep they would all fall within the moment it
  // took to register (well under half a second); spread at random, the smallest arc of the
  // circle holding all 40 is nearly the whole second (under 0.6 s with odds of about 1e-7).
  const phases = (await renewals()).map((r) => r % 1_000).sort((a, b) => a - b);
  const gaps = phases.map((p, i) => (i === 0 ? p + 1_000 - phases[phases.length - 1]! : p - phases[i - 1]!));
  const arc = 1_000 - Math.max(...gaps);
  t.true(arc >= 600, `renewals within ${arc} ms of each second: ${phases.join(' ')}`);
});

test.serial('--container-log-max-size and --container-log-max-files reach the log manager: a chatty container\'s log is rotated, 2 files kept', async (t) => {
  if (!api) { t.pass('skipped'); return; }
  const agent = await startTestAgent(['--container-log-max-size', '2Ki', '--container-log-max-files', '2']);
  // ~1.6 KiB a second: past 2Ki between two of the manager's 10 s looks.
  const pod = await runPod(agent.nodeName, { command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i ........................................"; sleep 0.03; done'] });
  const running = await waitPod(pod.metadata?.name ?? '', 'Running', (p) => p.status?.phase === 'Running');
  const log = containerLogFile(agent.dataDir, { namespace: 'default', name: pod.metadata?.name ?? '', uid: running.metadata?.uid ?? '' }, 'c', 0);
  await waitFor('a first rotation', () => existsSync(`${log}.1`), 30_000);
  const first = readFileSync(`${log}.1`, 'utf8').split('\n', 1)[0];
  t.true(statSync(`${log}.1`).size >= 2048, 'rotated past --container-log-max-size');
  await waitFor('a second rotation', () => existsSync(`${log}.1`) && readFileSync(`${log}.1`, 'utf8').split('\n', 1)[0] !== first, 30_000);
  t.false(existsSync(`${log}.2`), '--container-log-max-files 2: the live file and one rotated');
  await client.delete('pods', 'default', pod.metadata?.name ?? '', { gracePeriodSeconds: 0 });
});
