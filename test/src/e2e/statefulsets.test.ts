// End to end, StatefulSets on a local cluster of one process-runtime node, driven with the
// built tctl: the Kubernetes docs' "web" StatefulSet (with its headless Service) applied as
// users write it, pods made in ordinal order (each after the one before is Ready), stable names
// across a deleted pod, tctl get/describe/rollout status/scale, and a selector that misses its
// template refused in one line. Claims (volumeClaimTemplates) are made and provisioned, but not
// mounted: the process runtime cannot isolate a mount and refuses a pod that asks for one. Data
// surviving a pod, mounted, is the oci end to end (statefulsets-oci.test.ts).
import test from 'ava';
import { kindInfo } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { eventually, podsOf, type PodView } from './helpers.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster({ nodes: 1, runtime: 'process' });
});

test.after.always(async () => {
  await cluster?.destroy();
});

const withClaims = !!kindInfo('PersistentVolumeClaim');

/** https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/ (image and command made local). */
const WEB = `apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  selector:
    app: nginx
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  selector:
    matchLabels:
      app: nginx # has to match .spec.template.metadata.labels
  serviceName: "nginx"
  replicas: 3 # by default is 1
  minReadySeconds: 1 # by default is 0
  template:
    metadata:
      labels:
        app: nginx # has to match .spec.selector.matchLabels
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: nginx
        image: busybox
        command: ["sleep", "3600"]
        ports:
        - containerPort: 80
          name: web
${withClaims ? `  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Mi
` : ''}`;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await cluster.tctl(args, input);
  if (r.code !== 0) throw new Error(`tctl ${args.join(' ')} exited ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** The pod as listed, with the times ordering is judged by. */
type TimedPod = PodView & { metadata: PodView['metadata'] & { creationTimestamp?: string } };
type TimedCondition = { type: string; status: string; lastTransitionTime?: string };
const live = (pods: readonly PodView[]): TimedPod[] => (pods as TimedPod[]).filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
const readySince = (p: TimedPod): number => Date.parse((p.status.conditions as TimedCondition[] | undefined)?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '') || Infinity;

test.serial('the docs\' web StatefulSet: web-0, web-1, web-2 in order, each after the one before is Ready', async (t) => {
  if (!withClaims) t.log('PersistentVolumeClaims not served yet: the example is applied without its volumeClaimTemplates');
  t.is(await ok(['apply', '-f', '-'], WEB), 'service/nginx created\nstatefulset.apps/web created\n');
  const pods = await eventually('3 running', async () => {
    const ps = live(await podsOf(cluster, 'app=nginx'));
    return ps.length === 3 && ps.every((p) => p.status.phase === 'Running' && readySince(p) < Infinity) ? ps : undefined;
  }, 90_000);
  t.deepEqual(pods.map((p) => p.metadata.name), ['web-0', 'web-1', 'web-2']);
  for (let i = 1; i < 3; i++) {
    // Made no earlier than its predecessor became Ready (timestamps have second precision).
    t.true(Date.parse(pods[i]!.metadata.creationTimestamp ?? '') >= Math.floor(readySince(pods[i - 1]!) / 1000) * 1000, `web-${i} after web-${i - 1} was Ready`);
  }
  const status = await cluster.tctl(['rollout', 'status', 'statefulset/web', '--timeout', '60s']);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /statefulset rolling update complete 3 pods at revision web-\S+\.\.\.\n$/);
  const table = await ok(['get', 'sts']);
  t.regex(table, /^NAME\s+READY\s+AGE$/m);
  t.regex(table, /^web\s+3\/3\s+\S+$/m);
  t.regex(await ok(['get', 'statefulsets', '-o', 'wide']), /^web\s+3\/3\s+\S+\s+nginx\s+busybox$/m);
  const described = await ok(['describe', 'statefulset', 'web']);
  t.regex(described, /^Replicas:\s+3 desired \| 3 total$/m);
  t.regex(described, /^Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed$/m);
  t.regex(await ok(['get', 'all']), /statefulset\.apps\/web\s+3\/3/);
});

test.serial('a deleted pod comes back with the same name; scale down removes the highest ordinals; scale up brings them back', async (t) => {
  const before = live(await podsOf(cluster, 'app=nginx')).find((p) => p.metadata.name === 'web-1');
  await ok(['delete', 'pod', 'web-1']);
  await eventually('web-1 again', async () => {
    const p = live(await podsOf(cluster, 'app=nginx')).find((x) => x.metadata.name === 'web-1');
    return p && p.metadata.uid !== before?.metadata.uid && p.status.phase === 'Running';
  }, 60_000);
  t.is(await ok(['scale', 'statefulset/web', '--replicas', '1']), 'statefulset.apps/web scaled\n');
  await eventually('only web-0', async () => {
    const ps = await podsOf(cluster, 'app=nginx');
    return ps.length === 1 && ps[0]!.metadata.name === 'web-0';
  }, 60_000);
  await ok(['scale', 'sts/web', '--replicas', '3']);
  await eventually('3 again', async () => /^web\s+3\/3\s/m.test(await ok(['get', 'sts', 'web'])), 90_000);
  t.pass();
});

test.serial('a StatefulSet whose selector does not match its template is refused in one line; nothing is stored', async (t) => {
  const bad = WEB.split('---\n')[1]!.replace('name: web\n', 'name: bad\n').replace('app: nginx # has to match .spec.template', 'app: other # has to match .spec.template');
  const r = await cluster.tctl(['apply', '-f', '-'], bad);
  t.not(r.code, 0);
  t.regex(r.stderr, /spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`/);
  t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  t.not((await cluster.tctl(['get', 'sts', 'bad'])).code, 0);
});
