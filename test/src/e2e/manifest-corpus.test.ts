// End to end: real manifests, as the Kubernetes docs and k3s's docs show them (corpus/, each
// file's source at its top), applied unchanged with `tctl apply -f` (a subset with kubectl),
// each checked to run as its kind promises. Issue 17's corpus, and issue 12's "no silent drops":
//
//   process runtime (1 node)   job.yaml, cronjob.yaml (the host's perl and sh), and issue 12's check:
//                              a pod with a configMap volume is never Running there, and
//                              `tctl describe pod` says why in one line
//   oci runtime (2 nodes)      everything that needs images, volumes or isolation: the images the
//                              manifests name (nginx:1.14.2, registry.k8s.io/busybox:1.27.2, …)
//                              are busybox stand-ins in a local registry, pulled through the
//                              agents' --registry-mirror, so not even an image reference changes
//
// The oci half is skipped, with the reason printed, where containers cannot run (not root, no
// runc) or the local registry cannot (no docker-registry, skopeo or busybox-static).
// Networks: pod CIDRs from the cluster's node IPAM inside 198.18.0.0/15; the test sends traffic
// only to loopback (components, registry) and to 127.0.0.1 inside its own pods (exec + wget).
import test, { type ExecutionContext } from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startLocalCluster, type LocalClusterHandle, type TctlResult } from '../harness/cluster.js';
import { pushCorpusImages, registryMirrorFlag } from '../harness/corpus-images.js';
import { busyboxAvailable, skopeoAvailable } from '../harness/images.js';
import { kubectlMissing, runKubectl } from '../harness/kubectl.js';
import { registryAvailable, startRegistry, type RegistryHandle } from '../harness/registry.js';
import { eventually } from './helpers.js';
import type { TugboatClient } from '@tugboat/api';

const CORPUS = join(REPO_ROOT, 'test', 'src', 'e2e', 'corpus');
const manifest = (file: string): string => readFileSync(join(CORPUS, file), 'utf8');

const ociSkip = process.getuid?.() !== 0 ? 'not root: real containers need root'
  : spawnSync('runc', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'runc is not installed'
    : !registryAvailable() ? 'docker-registry is not installed'
      : !skopeoAvailable() ? 'skopeo is not installed'
        : !busyboxAvailable() ? 'busybox-static is not installed' : undefined;
if (ociSkip) console.log(`manifest-corpus: the oci half is skipped: ${ociSkip}`);
const ociTest = ociSkip ? test.skip : test;
const noKubectl = kubectlMissing();
if (noKubectl) console.log(`manifest-corpus: the kubectl checks are skipped: ${noKubectl}`);
const kubectlTest = ociSkip || noKubectl ? test.skip : test;

let proc: LocalClusterHandle;
let oci: LocalClusterHandle | undefined;
let registry: RegistryHandle | undefined;
let work = '';

/** What runs where (the image volume is applied on its own: it must be refused). */
const PROCESS_FILES = ['job.yaml', 'cronjob.yaml', 'pod-configmap-volume.yaml'];
const OCI_FILES = [
  'nginx-deployment.yaml', 'frontend.yaml', 'replication.yaml', 'daemonset.yaml', 'run-my-nginx.yaml', 'web.yaml',
  'dapi-volume.yaml', 'exec-liveness.yaml', 'secret-pod.yaml', 'local-path.yaml', 'pod-configmap-volume.yaml',
  'high-priority.yaml', 'memory-request-limit.yaml', 'one-constraint.yaml', 'zookeeper-pdb.yaml', 'seccomp-default-pod.yaml',
];
/** The docs create namespace mem-example before memory-request-limit.yaml; so does the one apply. */
const MEM_EXAMPLE_NAMESPACE = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: mem-example\n';

// One `tctl apply -f … -f …` per cluster, as a user applies a directory: on a loaded machine
// every tctl started costs a Node.js start-up, so the checks below read through one gRPC client.
let procApply: TctlResult | undefined;
let ociApply: TctlResult | undefined;

test.before(async () => {
  work = mkdtempSync(join(tmpdir(), 'tugboat-corpus-'));
  const startOci = async (): Promise<void> => {
    if (ociSkip) return;
    registry = await startRegistry();
    pushCorpusImages(work, registry.host);
    const c = await startLocalCluster({ nodes: 2, runtime: 'oci', args: [`--agent-arg=${registryMirrorFlag(registry.host)}`] });
    oci = c;
    // The topology spread page labels its nodes first.
    await ok(c, ['label', 'node', 'node-1', 'zone=zoneA']);
    await ok(c, ['label', 'node', 'node-2', 'zone=zoneB']);
    ociApply = await c.tctl(['apply', '-f', '-', ...OCI_FILES.flatMap((f) => ['-f', join(CORPUS, f)])], MEM_EXAMPLE_NAMESPACE, 180_000);
  };
  const startProcess = async (): Promise<void> => {
    proc = await startLocalCluster({ nodes: 1, runtime: 'process' });
    procApply = await proc.tctl(['apply', ...PROCESS_FILES.flatMap((f) => ['-f', join(CORPUS, f)])], undefined, 180_000);
  };
  // Both clusters start at once: the wall time is the slower one's.
  await Promise.all([startProcess(), startOci()]);
});

test.after.always(async () => {
  for (const c of clients.values()) c.close();
  const down = await Promise.allSettled([proc?.destroy(), oci?.destroy()]);
  await registry?.destroy();
  for (const d of down) if (d.status === 'rejected') console.log(`manifest-corpus: a cluster's teardown failed: ${String(d.reason)}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

// ---- helpers ---------------------------------------------------------------------------

/** Polls once a second: a dozen tests poll at once on a shared machine. */
function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  return eventually(what, fn, timeoutMs, 1_000);
}

async function ok(cluster: LocalClusterHandle, args: readonly string[], input?: string): Promise<string> {
  const res = await cluster.tctl(args, input, 90_000);
  if (res.code !== 0) throw new Error(`tctl ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
  return res.stdout;
}

// Only the fields the checks read.
interface Obj {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { priority?: number; nodeName?: string };
  status?: {
    phase?: string; podIP?: string; qosClass?: string;
    replicas?: number; readyReplicas?: number; availableReplicas?: number;
    desiredNumberScheduled?: number; numberReady?: number; currentNumberScheduled?: number;
    expectedPods?: number; disruptionsAllowed?: number; lastScheduleTime?: string;
    conditions?: { type: string; status: string; reason?: string }[];
    containerStatuses?: { ready: boolean; restartCount: number; state?: { waiting?: { reason?: string; message?: string } } }[];
  };
  subsets?: { addresses?: { ip: string }[] }[];
}

/** tctl's resource names → the API's. */
const RESOURCES: Readonly<Record<string, string>> = {
  pod: 'pods', pods: 'pods', deployment: 'deployments', replicaset: 'replicasets', replicationcontroller: 'replicationcontrollers',
  daemonset: 'daemonsets', statefulset: 'statefulsets', pvc: 'persistentvolumeclaims', endpoints: 'endpoints', pdb: 'poddisruptionbudgets',
  job: 'jobs', jobs: 'jobs', cronjob: 'cronjobs',
};

const clients = new Map<LocalClusterHandle, TugboatClient>();
function clientOf(cluster: LocalClusterHandle): TugboatClient {
  let c = clients.get(cluster);
  if (!c) clients.set(cluster, c = cluster.client());
  return c;
}

async function getObj(cluster: LocalClusterHandle, kind: string, name: string, namespace = 'default'): Promise<Obj | undefined> {
  return (await clientOf(cluster).tryGet(RESOURCES[kind] ?? kind, namespace, name)) as unknown as Obj | undefined;
}

async function list(cluster: LocalClusterHandle, kind: string, selector: string, namespace = 'default'): Promise<Obj[]> {
  return (await clientOf(cluster).list(RESOURCES[kind] ?? kind, { namespace, labelSelector: selector })).items as unknown as Obj[];
}

/** A pod's whole log, through the API server (no tctl process: see above). */
async function podLog(cluster: LocalClusterHandle, name: string, namespace = 'default'): Promise<string> {
  let out = '';
  for await (const chunk of clientOf(cluster).logs(namespace, name)) out += chunk.data.toString();
  return out;
}

async function podExec(cluster: LocalClusterHandle, name: string, command: readonly string[]): Promise<string> {
  const r = await clientOf(cluster).exec('default', name, command);
  if (r.exitCode !== 0) throw new Error(`exec ${command.join(' ')} in ${name}: exit ${r.exitCode}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

/** A Job's condition `type` True. */
function jobCondition(cluster: LocalClusterHandle, name: string, type: string): Promise<Obj> {
  return until(`Job ${name} ${type}`, async () => {
    const j = await getObj(cluster, 'job', name);
    return j?.status?.conditions?.some((c) => c.type === type && c.status === 'True') ? j : undefined;
  }, 150_000);
}

/** The one apply said `line` (`pod/x created`): the file applied unchanged. */
function applied(t: ExecutionContext, res: TctlResult | undefined, line: string): void {
  if (!res) throw new Error('the cluster did not start');
  t.true(res.stdout.split('\n').includes(line), `${line} in:\n${res.stdout}${res.stderr}`);
}

const isReady = (p: Obj | undefined): boolean => p?.status?.phase === 'Running' && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

function readyPod(cluster: LocalClusterHandle, name: string, namespace = 'default'): Promise<Obj> {
  return until(`pod ${namespace}/${name} Running and Ready`, async () => {
    const p = await getObj(cluster, 'pod', name, namespace);
    return isReady(p) ? p : undefined;
  });
}

/** A workload's `status.readyReplicas` (or a DaemonSet's numberReady) reaching `n`. */
function readyReplicas(cluster: LocalClusterHandle, kind: string, name: string, n: number, namespace = 'default'): Promise<Obj> {
  return until(`${kind} ${namespace}/${name} with ${n} ready`, async () => {
    const o = await getObj(cluster, kind, name, namespace);
    const ready = kind === 'daemonset' ? o?.status?.numberReady : o?.status?.readyReplicas;
    return ready === n ? o : undefined;
  }, 150_000);
}

function ociCluster(): LocalClusterHandle {
  if (!oci) throw new Error('the oci cluster did not start');
  return oci;
}

/**
 * GET http://127.0.0.1:port/ from inside the pod (busybox wget): what the pod serves, without
 * the host's routes to pod IPs, which other clusters on a shared machine may also claim.
 */
function servedInside(cluster: LocalClusterHandle, pod: string, port: number): Promise<string> {
  return until(`${pod} answering on ${port}`, () => podExec(cluster, pod, ['wget', '-qO-', `http://127.0.0.1:${port}/`]), 30_000);
}

function slow(t: ExecutionContext): void {
  t.timeout(240_000);
}

// ---- process runtime -------------------------------------------------------------------

test('job.yaml (the docs\' pi Job): Complete, its log is pi to 1000 digits', async (t) => {
  slow(t);
  applied(t, procApply, 'job.batch/pi created');
  await jobCondition(proc, 'pi', 'Complete');
  const [pod] = await list(proc, 'pods', 'job-name=pi');
  const log = (await podLog(proc, pod?.metadata.name ?? '')).trim();
  t.true(log.startsWith('3.14159265358979323846'), log.slice(0, 40));
  t.is(log.replace('.', '').length, 1000, 'bpi(1000): 1000 significant digits');
});

test('cronjob.yaml: the first run fires on its minute and leaves a complete Job that said hello', async (t) => {
  slow(t);
  applied(t, procApply, 'cronjob.batch/hello created');
  const job = await until('a Job of CronJob hello', async () => {
    const jobs = await list(proc, 'jobs', '') as (Obj & { metadata: { ownerReferences?: { kind: string; name: string }[] } })[];
    return jobs.find((j) => j.metadata.ownerReferences?.some((o) => o.kind === 'CronJob' && o.name === 'hello'));
  }, 150_000);
  t.regex(job.metadata.name, /^hello-\d+$/);
  await jobCondition(proc, job.metadata.name, 'Complete');
  const [pod] = await list(proc, 'pods', `job-name=${job.metadata.name}`);
  t.regex(await podLog(proc, pod?.metadata.name ?? ''), /Hello from the Kubernetes cluster\n$/);
  t.truthy((await getObj(proc, 'cronjob', 'hello'))?.status?.lastScheduleTime);
});

test('issue 12: pod-configmap-volume.yaml on the process runtime is never Running; describe says why in one line', async (t) => {
  slow(t);
  applied(t, procApply, 'pod/dapi-test-pod created');
  const why = /volume "config-volume" \(configMap\) cannot be mounted by the process runtime/;
  await until('the container waiting: CreateContainerConfigError', async () =>
    (await getObj(proc, 'pod', 'dapi-test-pod'))?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError');
  const described = await ok(proc, ['describe', 'pod', 'dapi-test-pod']);
  const lines = described.split('\n').filter((l) => why.test(l));
  t.true(lines.length >= 1);
  t.true(lines.some((l) => /FailedMount/.test(l)), `an event line: ${lines.join(' | ')}`);
  // Watched for a while after the node said no: it never becomes Running.
  for (let i = 0; i < 5; i++) {
    const p = await getObj(proc, 'pod', 'dapi-test-pod');
    t.not(p?.status?.phase, 'Running');
    t.not(p?.status?.phase, 'Succeeded', 'ls /etc/config/ never ran against a missing directory');
    await new Promise((r) => setTimeout(r, 1_000));
  }
  const p = await getObj(proc, 'pod', 'dapi-test-pod');
  t.is(p?.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'CreateContainerConfigError');
});

// ---- oci runtime: workloads ------------------------------------------------------------

ociTest('nginx-deployment.yaml (Deployment): 3 pods Ready, Available, serving on port 80', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'deployment.apps/nginx-deployment created');
  await readyReplicas(c, 'deployment', 'nginx-deployment', 3);
  const pods = await list(c, 'pods', 'app.kubernetes.io/name=nginx');
  t.is(pods.filter(isReady).length, 3);
  t.regex(await servedInside(c, pods[0]?.metadata.name ?? '', 80), /Welcome to nginx!/);
});

ociTest('frontend.yaml (ReplicaSet): 3 pods Ready', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'replicaset.apps/frontend created');
  await readyReplicas(c, 'replicaset', 'frontend', 3);
  t.is((await list(c, 'pods', 'tier=frontend')).filter(isReady).length, 3);
});

ociTest('replication.yaml (ReplicationController): 3 pods Ready', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'replicationcontroller/nginx created');
  await readyReplicas(c, 'replicationcontroller', 'nginx', 3);
  t.is((await list(c, 'pods', 'app=nginx')).filter((p) => p.metadata.name.startsWith('nginx-') && isReady(p)).length, 3);
});

ociTest('daemonset.yaml (DaemonSet in kube-system, hostPath volumes): one Ready pod per node', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'daemonset.apps/fluentd-elasticsearch created');
  const ds = await readyReplicas(c, 'daemonset', 'fluentd-elasticsearch', 2, 'kube-system');
  t.is(ds.status?.desiredNumberScheduled, 2);
  const pods = await list(c, 'pods', 'name=fluentd-elasticsearch', 'kube-system');
  t.deepEqual(pods.map((p) => p.spec?.nodeName).sort(), ['node-1', 'node-2']);
});

ociTest('run-my-nginx.yaml (Deployment + Service): the Service\'s endpoints are the 2 Ready pods', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'service/my-nginx created');
  await readyReplicas(c, 'deployment', 'my-nginx', 2);
  const pods = await list(c, 'pods', 'run=my-nginx');
  const ips = pods.map((p) => p.status?.podIP).sort();
  const ep = await until('endpoints of my-nginx with both pods', async () => {
    const e = await getObj(c, 'endpoints', 'my-nginx');
    const got = (e?.subsets ?? []).flatMap((s) => s.addresses ?? []).map((a) => a.ip).sort();
    return got.length === 2 && JSON.stringify(got) === JSON.stringify(ips) ? got : undefined;
  });
  t.deepEqual(ep, ips);
});

ociTest('web.yaml (StatefulSet + headless Service, volumeClaimTemplates): web-0 and web-1 Ready, their claims Bound', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'statefulset.apps/web created');
  await readyReplicas(c, 'statefulset', 'web', 2);
  for (const n of ['web-0', 'web-1']) t.true(isReady(await getObj(c, 'pod', n)), n);
  for (const claim of ['www-web-0', 'www-web-1']) t.is((await getObj(c, 'pvc', claim))?.status?.phase, 'Bound', claim);
});

// ---- oci runtime: pods, volumes, probes, resources, scheduling --------------------------

ociTest('dapi-volume.yaml (downwardAPI volume): the container prints its labels and annotations', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/kubernetes-downwardapi-volume-example created');
  await readyPod(c, 'kubernetes-downwardapi-volume-example');
  const log = await until('the labels and annotations in the log', async () => {
    const l = await podLog(c, 'kubernetes-downwardapi-volume-example');
    return /zone="us-est-coast"/.test(l) && /builder="john-doe"/.test(l) ? l : undefined;
  });
  t.regex(log, /cluster="test-cluster1"\nrack="rack-22"\nzone="us-est-coast"/);
});

ociTest('exec-liveness.yaml (exec liveness probe): Running and Ready while /tmp/healthy exists', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/liveness-exec created');
  const p = await readyPod(c, 'liveness-exec');
  t.is(p.status?.containerStatuses?.[0]?.restartCount, 0);
});

ociTest('secret-pod.yaml (Secret + secret volume): the pod reads the secret\'s files', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/secret-test-pod created');
  await readyPod(c, 'secret-test-pod');
  t.is(await podExec(c, 'secret-test-pod', ['cat', '/etc/secret-volume/username']), 'my-app');
  t.is(await podExec(c, 'secret-test-pod', ['cat', '/etc/secret-volume/password']), '39528$vdg7Jb');
});

ociTest('local-path.yaml (k3s: PVC on the local-path StorageClass + pod): Bound, Running, the volume writable', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/volume-test created');
  await readyPod(c, 'volume-test');
  t.is((await getObj(c, 'pvc', 'local-path-pvc'))?.status?.phase, 'Bound');
  t.is(await podExec(c, 'volume-test', ['sh', '-c', 'echo kept > /data/f && cat /data/f']), 'kept\n');
});

ociTest('pod-configmap-volume.yaml on oci: the pod sees its files (ls lists the ConfigMap\'s keys) and Succeeds', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/dapi-test-pod created');
  await until('dapi-test-pod Succeeded', async () => (await getObj(c, 'pod', 'dapi-test-pod'))?.status?.phase === 'Succeeded');
  t.is(await podLog(c, 'dapi-test-pod'), 'SPECIAL_LEVEL\nSPECIAL_TYPE\n');
});

ociTest('high-priority.yaml (PriorityClass + a pod of it): the pod runs with priority 1000000', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'priorityclass.scheduling.k8s.io/high-priority created');
  const p = await readyPod(c, 'nginx');
  t.is(p.spec?.priority, 1000000);
});

ociTest('memory-request-limit.yaml (requests and limits, in namespace mem-example): Running, Burstable', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/memory-demo created');
  const p = await readyPod(c, 'memory-demo', 'mem-example');
  t.is(p.status?.qosClass, 'Burstable');
});

ociTest('one-constraint.yaml (topology spread over the zone label the docs put on nodes): scheduled and Running', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/mypod created');
  t.truthy((await readyPod(c, 'mypod')).spec?.nodeName);
});

ociTest('zookeeper-pdb.yaml (PodDisruptionBudget): stored; with no zookeeper pods it allows nothing', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'poddisruptionbudget.policy/zk-pdb created');
  const pdb = await until('zk-pdb counted', async () => {
    const o = await getObj(c, 'pdb', 'zk-pdb');
    return o?.status?.conditions?.some((x) => x.type === 'DisruptionAllowed') ? o : undefined;
  });
  t.is(pdb.status?.expectedPods, 0);
  t.is(pdb.status?.disruptionsAllowed, 0);
});

// ---- what cannot be honoured is said ---------------------------------------------------

ociTest('seccomp-default-pod.yaml: runs, and apply prints one warning: no seccomp profile is applied', async (t) => {
  slow(t);
  const c = ociCluster();
  applied(t, ociApply, 'pod/default-pod created');
  const res = ociApply!;
  // The one warning of the whole corpus: nothing else in it asks for what Tugboat cannot do.
  t.is(res.stderr, 'Warning: spec.securityContext.seccompProfile: seccomp profiles are not applied: containers run without a seccomp filter\n');
  await readyPod(c, 'default-pod');
  t.is((await servedInside(c, 'default-pod', 5678)).trim(), 'just made some more syscalls!');
});

test('image-volumes.yaml: refused in one line naming the field, nothing stored', async (t) => {
  const res = await proc.tctl(['apply', '-f', join(CORPUS, 'image-volumes.yaml')]);
  t.not(res.code, 0);
  t.is(res.stderr.trim(), 'error: Pod "image-volume" is invalid: spec.volumes[0].image: Forbidden: image volumes are not supported: the pod would run without the image\'s files');
  const got = await proc.tctl(['get', 'pod', 'image-volume']);
  t.not(got.code, 0);
  t.regex(got.stderr, /not found/);
  t.is(res.stdout, '');
});

// ---- kubectl v1.32 against the oci cluster ----------------------------------------------

function kubectl(args: readonly string[], input = ''): Promise<TctlResult> {
  return runKubectl(ociCluster().home, work, args, { input, timeoutMs: 150_000 });
}

kubectlTest('kubectl apply of the corpus (namespace kubectl-corpus): created, the warning printed, the image volume refused', async (t) => {
  slow(t);
  // By apply: `kubectl create namespace` sends protobuf, which the API server does not read.
  const ns = await kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: kubectl-corpus}\n');
  t.is(ns.code, 0, ns.stderr);
  const dep = await kubectl(['apply', '-n', 'kubectl-corpus', '-f', join(CORPUS, 'nginx-deployment.yaml')]);
  t.is(dep.stdout, 'deployment.apps/nginx-deployment created\n', dep.stderr);
  const seccomp = await kubectl(['apply', '-n', 'kubectl-corpus', '-f', join(CORPUS, 'seccomp-default-pod.yaml')]);
  t.is(seccomp.stdout, 'pod/default-pod created\n');
  t.is(seccomp.stderr, 'Warning: spec.securityContext.seccompProfile: seccomp profiles are not applied: containers run without a seccomp filter\n');
  const refused = await kubectl(['apply', '-n', 'kubectl-corpus', '-f', join(CORPUS, 'image-volumes.yaml')]);
  t.not(refused.code, 0);
  t.regex(refused.stderr, /The Pod "image-volume" is invalid: spec\.volumes\[0\]\.image: Forbidden: image volumes are not supported/);
  const rollout = await kubectl(['rollout', 'status', '-n', 'kubectl-corpus', 'deployment/nginx-deployment', '--timeout=150s']);
  t.is(rollout.code, 0, rollout.stderr);
  t.regex(rollout.stdout, /successfully rolled out/);
});
