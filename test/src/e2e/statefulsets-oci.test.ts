// End to end, a StatefulSet with persistent volumes on real containers (issue 17's
// acceptance), as a user: `tctl cluster up --nodes 2 --runtime oci`, the Kubernetes docs' `web`
// StatefulSet with its headless Service `nginx` (busybox httpd serving the claim's directory in
// place of nginx, from a local registry), then only tctl and kubectl:
//
//   web-0, web-1, web-2 made in order, each after the one before is Running and Ready; a claim
//   www-web-N per pod, provisioned by local-path on the pod's node
//   a file written in web-1's volume outlives `tctl delete pod web-1`; web-1 comes back on its node
//   `tctl scale sts web --replicas 1` keeps the 3 claims; back to 3 reuses them (same uids, the file)
//   cluster DNS: web-0.nginx.default.svc.cluster.local is web-0's pod IP (nslookup in a pod), and
//   web-0 reads web-1's file at http://web-1.nginx.default.svc.cluster.local/
//   kubectl get sts, kubectl apply of the docs' manifest then of an edit: `configured`, merged by
//   container name, a label set by someone else kept; kubectl rollout status sts/web through the
//   rolling update the edit starts; the file is still there after it
//
// Skipped, with the reason printed, only where containers cannot run: not root, or no runc. The
// kubectl part is skipped, with the reason printed, without kubectl.
// Networks: the cluster's own slot (pods 198.18.(16i).0/20, services 198.19.(16i).0/20, see
// packages/ctl/src/cluster/network.ts); traffic goes to loopback and, from inside the pods, to
// pod IPs of this file's pods, checked to be inside 198.18.0.0/15 first.
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster, type LocalClusterHandle, type TctlResult } from '../harness/cluster.js';
import { kubectlMissing, runKubectl } from '../harness/kubectl.js';
import { startBusyboxRegistry, type BusyboxRegistry } from '../harness/images.js';
import { eventually } from './helpers.js';

const runcInstalled = spawnSync('runc', ['--version'], { stdio: 'ignore' }).status === 0;
const skipReason = process.getuid?.() !== 0 ? 'not root: real containers need root' : !runcInstalled ? 'runc is not installed' : undefined;
if (skipReason) console.log(`e2e StatefulSet (oci) tests skipped: ${skipReason}`);
const serial = skipReason ? test.skip : test.serial;
const noKubectl = kubectlMissing();
if (!skipReason && noKubectl) console.log(`statefulsets-oci.test.ts: the kubectl test is skipped: ${noKubectl}`);
const kubectlSerial = skipReason || noKubectl ? test.skip : test.serial;

let cluster: LocalClusterHandle;
let images: BusyboxRegistry | undefined;
let work = '';
let image = '';
const timings: string[] = [];

test.before(async () => {
  if (skipReason) return;
  images = await startBusyboxRegistry('sts-oci');
  ({ work, image } = images);
  cluster = await startLocalCluster({ nodes: 2, runtime: 'oci' });
});

test.after.always(async () => {
  if (timings.length) console.log(`statefulsets-oci timings: ${timings.join('; ')}`);
  await cluster?.destroy();
  await images?.destroy();
});

/**
 * https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/ as written, but for
 * the image (busybox httpd serving the volume where nginx would) and a short grace period.
 */
const web = (extraEnv = ''): string => `apiVersion: v1
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
        image: ${image}
        command: ["httpd", "-f", "-p", "80", "-h", "/usr/share/nginx/html"]
${extraEnv}        ports:
        - containerPort: 80
          name: web
        volumeMounts:
        - name: www
          mountPath: /usr/share/nginx/html
  volumeClaimTemplates:
  - metadata:
      name: www
    spec:
      accessModes: [ "ReadWriteOnce" ]
      resources:
        requests:
          storage: 1Gi
`;

interface Obj {
  metadata: { name: string; uid: string; creationTimestamp?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string; volumeName?: string; template?: { spec: { containers: { name: string; image: string; command?: string[]; env?: { name: string; value?: string }[]; volumeMounts?: unknown[] }[] } } };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string; lastTransitionTime?: string }[]; readyReplicas?: number };
}

async function ok(args: readonly string[], input?: string): Promise<string> {
  const res = await cluster.tctl(args, input, 90_000);
  if (res.code !== 0) throw new Error(`tctl ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
  return res.stdout;
}

async function get(what: string): Promise<Obj | undefined> {
  const res = await cluster.tctl(['get', what, '-o', 'json']);
  return res.code === 0 ? JSON.parse(res.stdout) as Obj : undefined;
}

async function list(resource: string, selector: string): Promise<Obj[]> {
  return (JSON.parse(await ok(['get', resource, '-l', selector, '-o', 'json'])) as { items: Obj[] }).items;
}

const readySince = (p: Obj): number => Date.parse(p.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '') || Infinity;
const isReady = (p: Obj | undefined): boolean => !!p && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && readySince(p) < Infinity;

/** The web pods, by name, once exactly `names` are Running and Ready. */
async function readyPods(names: readonly string[], timeoutMs = 240_000): Promise<Obj[]> {
  return eventually(`${names.join(', ')} ready`, async () => {
    const pods = (await list('pods', 'app=nginx')).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    return pods.length === names.length && pods.every((p, i) => p.metadata.name === names[i] && isReady(p)) ? pods : undefined;
  }, timeoutMs, 500);
}

const claimUids = async (): Promise<Record<string, string>> =>
  Object.fromEntries((await list('pvc', 'app=nginx')).map((c) => [c.metadata.name, c.metadata.uid]));

const HTML = '/usr/share/nginx/html';
const WEB1_FILE = `written in web-1's volume by run ${process.pid}`;

function inTestNet(ip: string | undefined): string {
  if (!ip || !/^198\.1[89]\.\d+\.\d+$/.test(ip)) throw new Error(`pod IP ${String(ip)} is outside 198.18.0.0/15: nothing is sent to it`);
  return ip;
}

serial('the docs\' web StatefulSet: web-0, web-1, web-2 made in order, each after the one before is Running and Ready, each with its own bound claim', async (t) => {
  const start = Date.now();
  t.is(await ok(['apply', '-f', '-'], web()), 'service/nginx created\nstatefulset.apps/web created\n');
  const pods = await readyPods(['web-0', 'web-1', 'web-2']);
  timings.push(`3 pods Ready ${((Date.now() - start) / 1000).toFixed(1)} s after apply`);
  for (let i = 1; i < 3; i++) {
    // Made no earlier than its predecessor became Ready (timestamps have second precision).
    t.true(Date.parse(pods[i]!.metadata.creationTimestamp ?? '') >= Math.floor(readySince(pods[i - 1]!) / 1000) * 1000, `web-${i} made after web-${i - 1} was Ready`);
  }
  const claims = await list('pvc', 'app=nginx');
  t.deepEqual(claims.map((c) => c.metadata.name).sort(), ['www-web-0', 'www-web-1', 'www-web-2']);
  t.true(claims.every((c) => c.status?.phase === 'Bound'), 'every claim Bound');
  t.regex(await ok(['get', 'pvc', 'www-web-1']), /^www-web-1\s+Bound\s+pvc-\S+\s+1Gi\s+RWO\s+local-path/m);
  t.log(`nodes: ${pods.map((p) => `${p.metadata.name}@${p.spec.nodeName ?? '?'}`).join(', ')}`);
});

serial('a file written in web-1\'s volume is still there after `tctl delete pod web-1`, which brings web-1 back on the same node', async (t) => {
  const before = (await get('pod/web-1'))!;
  await ok(['exec', 'web-1', '--', 'sh', '-c', `echo "${WEB1_FILE}" > ${HTML}/index.html`]);
  t.is(await ok(['exec', 'web-1', '--', 'cat', `${HTML}/index.html`]), `${WEB1_FILE}\n`);
  const start = Date.now();
  await ok(['delete', 'pod', 'web-1']);
  const after = await eventually('a new web-1 Running and Ready', async () => {
    const p = await get('pod/web-1');
    return p && p.metadata.uid !== before.metadata.uid && isReady(p) ? p : undefined;
  }, 180_000, 500);
  timings.push(`web-1 back Ready ${((Date.now() - start) / 1000).toFixed(1)} s after delete`);
  t.is(after.spec.nodeName, before.spec.nodeName, 'the volume\'s node affinity brings it back where its data is');
  t.is(await ok(['exec', 'web-1', '--', 'cat', `${HTML}/index.html`]), `${WEB1_FILE}\n`);
});

serial('`tctl scale sts web --replicas 1` keeps the 3 claims; back to 3 reuses them, with web-1\'s file', async (t) => {
  const uids = await claimUids();
  t.is(Object.keys(uids).length, 3);
  t.is(await ok(['scale', 'sts', 'web', '--replicas', '1']), 'statefulset.apps/web scaled\n');
  let start = Date.now();
  await readyPods(['web-0']);
  timings.push(`scaled to 1 in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  t.deepEqual(await claimUids(), uids, 'the claims of web-1 and web-2 stay (whenScaled: Retain)');
  t.true((await list('pvc', 'app=nginx')).every((c) => c.status?.phase === 'Bound' && !c.metadata.deletionTimestamp));

  await ok(['scale', 'sts', 'web', '--replicas', '3']);
  start = Date.now();
  await readyPods(['web-0', 'web-1', 'web-2']);
  timings.push(`scaled back to 3 in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  t.deepEqual(await claimUids(), uids, 'the same claims (same uids)');
  t.is(await ok(['exec', 'web-1', '--', 'cat', `${HTML}/index.html`]), `${WEB1_FILE}\n`);
});

serial('cluster DNS: web-0.nginx.default.svc.cluster.local is web-0\'s pod IP; web-0 reads web-1\'s page by its name', async (t) => {
  const dns = (await cluster.components()).find((c) => c.name === 'dns');
  if (!dns) return t.fail('cluster up ran no cluster DNS for an oci cluster');
  const web0 = inTestNet((await get('pod/web-0'))?.status?.podIP);
  const web1 = inTestNet((await get('pod/web-1'))?.status?.podIP);
  const answer = await eventually('web-0\'s name answered', async () => {
    const r = await cluster.tctl(['exec', 'web-0', '--', 'nslookup', 'web-0.nginx.default.svc.cluster.local'], undefined, 30_000);
    if (r.code === 0 && r.stdout.includes(web0)) return r.stdout;
    throw new Error(`nslookup exited ${r.code}: ${r.stdout}${r.stderr}`);
  }, 90_000, 1000);
  t.regex(answer, new RegExp(`Address:\\s+${web0.replace(/\./g, '\\.')}`));
  const web1Answer = await ok(['exec', 'web-0', '--', 'nslookup', 'web-1.nginx.default.svc.cluster.local']);
  t.regex(web1Answer, new RegExp(`Address:\\s+${web1.replace(/\./g, '\\.')}`));
  const page = await eventually('web-1\'s page from web-0, by its name', async () => {
    // busybox wget's own -T crashes (Debian's busybox 1.35); timeout bounds it instead.
    const r = await cluster.tctl(['exec', 'web-0', '--', 'timeout', '10', 'wget', '-qO-', 'http://web-1.nginx.default.svc.cluster.local/'], undefined, 30_000);
    if (r.code === 0) return r.stdout;
    throw new Error(`wget exited ${r.code}: ${r.stdout}${r.stderr}`);
  }, 90_000, 1000);
  t.is(page, `${WEB1_FILE}\n`);
});

// ---- kubectl -------------------------------------------------------------------------

function kubectl(args: readonly string[], timeoutMs = 300_000): Promise<TctlResult> {
  return runKubectl(cluster.home, work, args, { timeoutMs });
}

async function kubectlOk(t: ExecutionContext, args: readonly string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  if (r.stderr.trim()) t.log(`kubectl ${args[0] ?? ''} said: ${r.stderr.trim()}`);
  return r.stdout;
}

kubectlSerial('kubectl get sts and rollout status; apply, then apply an edit: configured, merged by container name, others\' labels kept', async (t) => {
  const table = await kubectlOk(t, ['get', 'sts']);
  t.regex(table, /^NAME\s+READY\s+AGE$/m);
  t.regex(table, /^web\s+3\/3\s+\S+$/m);
  // kubectl's own wording for a set with a rollingUpdate.partition (defaulted to 0, as Kubernetes does).
  t.regex(await kubectlOk(t, ['rollout', 'status', 'sts/web', '--timeout=60s']), /^partitioned roll out complete: 3 new pods have been updated\.\.\.$/m);

  const manifest = join(work, 'web.yaml');
  writeFileSync(manifest, web());
  // Made by tctl apply: kubectl's first apply takes it over (its last-applied annotation).
  t.regex(await kubectlOk(t, ['apply', '-f', manifest]), /^statefulset\.apps\/web (configured|unchanged)$/m);
  await kubectlOk(t, ['label', 'sts', 'web', 'team=storage']);
  const revision = (await get('sts/web') as Obj & { status?: { updateRevision?: string } })?.status?.updateRevision;

  writeFileSync(manifest, web('        env:\n        - name: GREETING\n          value: hello\n'));
  const start = Date.now();
  const applied = await kubectlOk(t, ['apply', '-f', manifest]);
  t.regex(applied, /^statefulset\.apps\/web configured$/m);
  t.regex(applied, /^service\/nginx unchanged$/m);
  const set = (await get('sts/web'))!;
  const container = set.spec.template!.spec.containers;
  t.is(container.length, 1, 'merged into the container of the same name, not added beside it');
  t.deepEqual(container[0]!.env, [{ name: 'GREETING', value: 'hello' }]);
  t.is(container[0]!.image, image);
  t.deepEqual(container[0]!.command, ['httpd', '-f', '-p', '80', '-h', HTML]);
  t.is(container[0]!.volumeMounts?.length, 1);
  t.is(set.metadata.labels?.['team'], 'storage', 'a label the manifest does not name is kept');

  const status = await kubectlOk(t, ['rollout', 'status', 'sts/web', '--timeout=300s']);
  timings.push(`rolling update of 3 pods (kubectl rollout status) ${((Date.now() - start) / 1000).toFixed(1)} s`);
  t.regex(status, /^partitioned roll out complete: 3 new pods have been updated\.\.\.$/m);
  const updated = (await get('sts/web') as Obj & { status?: { updateRevision?: string; currentRevision?: string } }).status;
  t.not(updated?.updateRevision, revision, 'a new revision');
  t.is(updated?.currentRevision, updated?.updateRevision);
  t.is(await ok(['exec', 'web-1', '--', 'sh', '-c', 'echo "$GREETING"']), 'hello\n');
  t.is(await ok(['exec', 'web-1', '--', 'cat', `${HTML}/index.html`]), `${WEB1_FILE}\n`, 'the data survives the update');
});
