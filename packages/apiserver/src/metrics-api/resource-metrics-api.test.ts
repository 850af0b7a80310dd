// metrics.k8s.io against a real etcd and API server: discovery lists the group read-only,
// `kubectl top nodes|pods` (v1.32) reads it over REST, the same objects come over gRPC, RBAC
// applies (view may read them; nobody may write them), and stale reports are dropped.
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { NODE_METRICS_RESOURCE, POD_METRICS_RESOURCE, type KubeObject, type PodMetrics } from '@tugboat/api';
import { startApiServerInProcess, startEtcd, waitFor } from '@tugboat/test';

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

function kubectl(kubeconfig: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

test('NodeMetrics and PodMetrics from the agents\' reports: gRPC, REST, kubectl top, RBAC', async (t) => {
  const etcd = await startEtcd();
  const server = await startApiServerInProcess(etcd.endpoint);
  t.teardown(async () => { await server.stop(); await etcd.destroy(); });
  const client = server.client();
  await waitFor('default namespace', async () => (await client.tryGet('namespaces', '', 'default')) !== undefined);
  const at = new Date().toISOString();
  await client.create<KubeObject>({
    apiVersion: 'v1', kind: 'Node', metadata: {
      name: 'n1', labels: { zone: 'a' }, annotations: {
        'tugboat.io/usage': JSON.stringify({ cpu: '1500m', memory: '2Gi', timestamp: at }),
        'tugboat.io/pod-usage': JSON.stringify({ 'default/web': { cpu: '250m', memory: '64Mi', containers: { app: { cpu: '200m', memory: '48Mi' }, side: { cpu: '50m', memory: '16Mi' } } } }),
      },
    },
  });
  // A node whose agent went quiet an hour ago: no metrics from it.
  await client.create<KubeObject>({
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'n2', annotations: { 'tugboat.io/usage': JSON.stringify({ cpu: '1', memory: '1Gi', timestamp: new Date(Date.now() - 3_600_000).toISOString() }) } },
  });
  await client.create<KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'x' }, { name: 'side', image: 'x' }] } });
  await client.create<KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'other', namespace: 'default', labels: { app: 'other' } }, spec: { containers: [{ name: 'app', image: 'x' }] } });

  // gRPC, as the HPA controller and tctl read them.
  await waitFor('node metrics', async () => (await client.list(NODE_METRICS_RESOURCE)).items.length === 1);
  const nodes = (await client.list(NODE_METRICS_RESOURCE)).items;
  t.like(nodes[0], { kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'n1', labels: { zone: 'a' } }, timestamp: at, window: '10s', usage: { cpu: '1500m', memory: '2Gi' } });
  const pods = (await client.list<PodMetrics>(POD_METRICS_RESOURCE, { namespace: 'default', labelSelector: 'app=web' })).items;
  t.is(pods.length, 1);
  t.like(pods[0], { kind: 'PodMetrics', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, window: '10s' });
  t.deepEqual(pods[0]?.containers, [{ name: 'app', usage: { cpu: '200m', memory: '48Mi' } }, { name: 'side', usage: { cpu: '50m', memory: '16Mi' } }]);
  t.is((await client.list(POD_METRICS_RESOURCE, { namespace: 'default', labelSelector: 'app=other' })).items.length, 0, 'no report: no metrics');
  await t.throwsAsync(client.get(POD_METRICS_RESOURCE, 'default', 'other'), { message: /podmetrics.metrics.k8s.io "default\/other" not found/ });
  await t.throwsAsync(client.get(NODE_METRICS_RESOURCE, '', 'n2'), { message: /nodemetrics.metrics.k8s.io "n2" not found/ });
  // Never stored, never written: a delete is refused and the pod it shares a name with stays.
  await t.throwsAsync(client.delete(POD_METRICS_RESOURCE, 'default', 'web'));
  t.truthy(await client.tryGet('pods', 'default', 'web'));

  // RBAC: view reads metrics (as metrics-server's aggregated role gives it), an unbound user does not.
  const viewer = server.client(server.pki.credentials(await server.pki.user('viewer')));
  await t.throwsAsync(viewer.list(POD_METRICS_RESOURCE, { namespace: 'default' }), { message: /forbidden/ });
  await client.create<KubeObject>({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'viewer', namespace: 'default' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'viewer', apiGroup: 'rbac.authorization.k8s.io' }],
  } as KubeObject);
  await waitFor('view binding', async () => (await viewer.list(POD_METRICS_RESOURCE, { namespace: 'default' }).then(() => true, () => false)));

  if (!KUBECTL) { t.log('kubectl is not installed here: the REST half is skipped'); return; }
  const kubeconfig = server.pki.kubeconfig(server.address, server.pki.admin, 'admin');
  const groups = await kubectl(kubeconfig, 'api-resources', '--api-group=metrics.k8s.io', '-o', 'wide');
  t.is(groups.code, 0, groups.stderr);
  t.regex(groups.stdout, /nodes\s+metrics.k8s.io\/v1beta1\s+false\s+NodeMetrics\s+get,list/);
  t.regex(groups.stdout, /pods\s+metrics.k8s.io\/v1beta1\s+true\s+PodMetrics\s+get,list/);
  const topNodes = await kubectl(kubeconfig, 'top', 'nodes');
  t.is(topNodes.code, 0, topNodes.stderr);
  t.regex(topNodes.stdout, /^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)\s*\nn1\s+1500m\s+/m);
  const topPods = await kubectl(kubeconfig, 'top', 'pods', '--containers', '-l', 'app=web');
  t.is(topPods.code, 0, topPods.stderr);
  t.regex(topPods.stdout, /web\s+app\s+200m\s+48Mi/);
  t.regex(topPods.stdout, /web\s+side\s+50m\s+16Mi/);
  const write = await kubectl(kubeconfig, 'delete', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/web');
  t.not(write.code, 0, 'the group is read-only');
});
