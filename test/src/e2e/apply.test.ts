// End to end, as a user: `tctl cluster up`, then apply/get/describe/delete with the built
// tctl, checking what it prints and what ends up in etcd.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';

let cluster: LocalClusterHandle;
let scratch: string;

test.before(async () => {
  cluster = await startLocalCluster();
  scratch = mkdtempSync(join(tmpdir(), 'tctl-e2e-'));
});

test.after.always(async () => {
  await cluster?.destroy();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const DEMO = join(REPO_ROOT, 'manifests', 'demo.yaml');
const DEMO_OBJECTS = ['namespace/demo', 'configmap/web-config', 'deployment.apps/web', 'pod/hello'];

test.serial('demo: created, then unchanged, then configured after a label change', async (t) => {
  const first = await cluster.tctl(['apply', '-f', DEMO]);
  t.is(first.code, 0, first.stderr);
  t.deepEqual(first.stdout.trim().split('\n'), DEMO_OBJECTS.map((o) => `${o} created`));

  const second = await cluster.tctl(['apply', '-f', DEMO]);
  t.is(second.code, 0, second.stderr);
  t.deepEqual(second.stdout.trim().split('\n'), DEMO_OBJECTS.map((o) => `${o} unchanged`));

  // The same manifests with one label changed on the deployment.
  const changed = readFileSync(DEMO, 'utf8').replace(/(kind: Deployment\nmetadata:\n  name: web\n  namespace: demo\n  labels:\n    app: web\n)/, '$1    release: canary\n');
  t.not(changed, readFileSync(DEMO, 'utf8'));
  const file = join(scratch, 'demo-changed.yaml');
  writeFileSync(file, changed);
  const third = await cluster.tctl(['apply', '-f', file]);
  t.is(third.code, 0, third.stderr);
  t.deepEqual(third.stdout.trim().split('\n'), ['namespace/demo unchanged', 'configmap/web-config unchanged', 'deployment.apps/web configured', 'pod/hello unchanged']);
  const labels = await cluster.tctl(['get', 'deploy', 'web', '-n', 'demo', '-o', 'jsonpath={.metadata.labels.release}']);
  t.is(labels.stdout, 'canary');
});

test.serial('etcd holds each object as JSON under /registry/<resource>/<namespace>/<name>', (t) => {
  const keys = cluster.etcdctl('get', '--prefix', '/registry/', '--keys-only').split('\n').filter(Boolean);
  for (const key of ['/registry/namespaces/demo', '/registry/configmaps/demo/web-config', '/registry/deployments/demo/web', '/registry/pods/demo/hello']) {
    t.true(keys.includes(key), `${key} in ${keys.join(', ')}`);
  }
  const value = cluster.etcdctl('get', '/registry/pods/demo/hello', '--print-value-only').trim();
  const pod = JSON.parse(value) as { kind: string; metadata: { name: string; namespace: string; labels: Record<string, string> } };
  t.is(pod.kind, 'Pod');
  t.is(pod.metadata.name, 'hello');
  t.is(pod.metadata.namespace, 'demo');
  t.is(pod.metadata.labels['app'], 'hello');
});

test.serial('a good and a bad document: one-line errors with field paths, the good one created, exit 1, nothing of the bad stored', async (t) => {
  const file = join(scratch, 'mixed.yaml');
  writeFileSync(file, [
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: good\nspec:\n  containers:\n  - name: c\n    image: busybox\n',
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: Bad-Name\nspec:\n  containers:\n  - name: c\n    resources:\n      requests:\n        cpu: abc\n',
  ].join('---\n'));
  const res = await cluster.tctl(['apply', '-f', file]);
  t.is(res.code, 1);
  t.is(res.stdout, 'pod/good created\n');
  const errors = res.stderr.trim().split('\n').filter((l) => !l.startsWith('Warning:'));
  t.is(errors.length, 1, res.stderr);
  const line = errors[0]!;
  t.regex(line, /^error: Pod "Bad-Name" is invalid: /);
  t.regex(line, /metadata\.name: Invalid value: "Bad-Name"/);
  t.regex(line, /spec\.containers\[0\]\.image: Required value/);
  t.regex(line, /spec\.containers\[0\]\.resources\.requests(\.cpu|\[cpu\]): Invalid value: "abc"/);

  const get = await cluster.tctl(['get', 'pods', '-o', 'name']);
  t.true(get.stdout.includes('pod/good'));
  t.false(get.stdout.toLowerCase().includes('bad-name'));
  t.is(cluster.etcdctl('get', '--prefix', '/registry/pods/default/B', '--keys-only').trim(), '');
  t.is(cluster.etcdctl('get', '--prefix', '/registry/pods/default/b', '--keys-only').trim(), '');
});

test.serial('a document that is not an object, or has no kind, is named by file and index', async (t) => {
  const file = join(scratch, 'broken.yaml');
  writeFileSync(file, '- a\n- list\n---\nmetadata:\n  name: x\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n');
  const res = await cluster.tctl(['apply', '-f', file]);
  t.is(res.code, 1);
  t.is(res.stdout, 'configmap/fine created\n');
  t.deepEqual(res.stderr.trim().split('\n'), [
    `error: ${file} (document 1): expected an object with apiVersion and kind, got a list`,
    `error: ${file} (document 2): object has no "kind"`,
  ]);
});

test.serial('unknown fields come back as warnings; unknown kinds are errors', async (t) => {
  const res = await cluster.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: warned\ndata:\n  a: "1"\nfoo: bar\n');
  t.is(res.code, 0, res.stderr);
  t.is(res.stdout, 'configmap/warned created\n');
  t.regex(res.stderr, /^Warning: unknown field "foo"$/m);
  const unknown = await cluster.tctl(['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
  t.is(unknown.code, 1);
  t.is(unknown.stderr, 'error: STDIN (document 1): no matches for kind "Widget" in version "example.com/v1"\n');
});

test.serial('the example manifests are valid as they are', async (t) => {
  const res = await cluster.tctl(['apply', '-R', '-f', join(REPO_ROOT, 'manifests', 'examples'), '--dry-run=server']);
  t.is(res.code, 0, res.stderr);
  t.is(res.stderr, '');
  t.true(res.stdout.trim().split('\n').every((l) => l.endsWith(' created (server dry run)')), res.stdout);
});

test.serial('directories with -R, JSON, dry runs', async (t) => {
  const dir = join(scratch, 'tree');
  mkdirSync(join(dir, 'sub'), { recursive: true });
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'from-json' }, data: { k: 'v' } }));
  writeFileSync(join(dir, 'sub', 'b.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-subdir\n');
  const flat = await cluster.tctl(['apply', '-f', dir, '--dry-run=server']);
  t.is(flat.code, 0, flat.stderr);
  t.is(flat.stdout, 'configmap/from-json created (server dry run)\n');
  t.is((await cluster.tctl(['get', 'cm', 'from-json'])).code, 1, 'a server dry run stores nothing');
  const client = await cluster.tctl(['apply', '-R', '-f', dir, '--dry-run=client', '-o', 'name']);
  t.is(client.stdout, 'configmap/from-json\nconfigmap/from-subdir\n');
  const real = await cluster.tctl(['apply', '-R', '-f', dir]);
  t.is(real.stdout, 'configmap/from-json created\nconfigmap/from-subdir created\n');
  const json = await cluster.tctl(['get', 'cm', 'from-json', '-o', 'json']);
  t.is((JSON.parse(json.stdout) as { data: Record<string, string> }).data['k'], 'v');
});

test.serial('get: tables, -A, several kinds, formats, and kubectl\'s messages', async (t) => {
  const pods = await cluster.tctl(['get', 'pods', '-n', 'demo']);
  t.is(pods.code, 0, pods.stderr);
  const [header, ...rows] = pods.stdout.trim().split('\n');
  t.regex(header!, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/);
  t.true(rows.some((r) => /^hello\s+0\/1\s+\S+\s+0\s+\d+s$/.test(r)), pods.stdout);

  const all = await cluster.tctl(['get', 'pods', '-A', '-o', 'wide']);
  t.regex(all.stdout.split('\n')[0]!, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE$/);

  const several = await cluster.tctl(['get', 'deploy,cm', '-n', 'demo']);
  t.regex(several.stdout, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps\/web\s/m);
  // Every namespace also holds the cluster CA, as in Kubernetes (the root-ca-cert-publisher's kube-root-ca.crt).
  t.regex(several.stdout, /\n\nNAME\s+DATA\s+AGE\nconfigmap\/kube-root-ca\.crt\s+1\s+\S+\nconfigmap\/web-config\s+2\s/);

  const empty = await cluster.tctl(['get', 'pods', '-n', 'kube-nothing']);
  t.is(empty.code, 0);
  t.is(empty.stdout, '');
  t.is(empty.stderr, 'No resources found in kube-nothing namespace.\n');

  const missing = await cluster.tctl(['get', 'pod', 'nope']);
  t.is(missing.code, 1);
  t.is(missing.stderr, 'error: pods "nope" not found\n');

  const yaml = await cluster.tctl(['get', 'ns', 'demo', '-o', 'yaml']);
  t.regex(yaml.stdout, /^apiVersion: v1\nkind: Namespace\nmetadata:\n/);
  const list = await cluster.tctl(['get', 'ns', '-o', 'json']);
  const parsed = JSON.parse(list.stdout) as { kind: string; items: { metadata: { name: string } }[] };
  t.is(parsed.kind, 'List');
  t.true(['default', 'tugboat-system', 'demo'].every((n) => parsed.items.some((i) => i.metadata.name === n)));

  const byLabel = await cluster.tctl(['get', 'pods', '-A', '-l', 'app=hello', '-o', 'name']);
  t.is(byLabel.stdout, 'pod/hello\n');
  const byField = await cluster.tctl(['get', 'pods', '-A', '--field-selector', 'metadata.name=hello', '-o', 'name']);
  t.is(byField.stdout, 'pod/hello\n');

  const badKind = await cluster.tctl(['get', 'widgets']);
  t.is(badKind.code, 1);
  t.is(badKind.stderr, 'error: the server doesn\'t have a resource type "widgets"\n');
});

test.serial('describe shows identity, labels, containers and events', async (t) => {
  const res = await cluster.tctl(['describe', 'pod', 'hello', '-n', 'demo']);
  t.is(res.code, 0, res.stderr);
  t.regex(res.stdout, /^Name:\s+hello$/m);
  t.regex(res.stdout, /^Namespace:\s+demo$/m);
  t.regex(res.stdout, /^Labels:\s+app=hello$/m);
  t.regex(res.stdout, /^ {4}Image:\s+busybox:1\.36$/m);
  t.regex(res.stdout, /^Events:/m);
  const deploy = await cluster.tctl(['describe', 'deploy/web', '-n', 'demo']);
  t.regex(deploy.stdout, /^Replicas:\s+3 desired \|/m);
  t.regex(deploy.stdout, /^Selector:\s+app=web$/m);
});

test.serial('delete by name and from a file', async (t) => {
  const res = await cluster.tctl(['delete', 'pod', 'good']);
  t.is(res.code, 0, res.stderr);
  t.is(res.stdout, 'pod "good" deleted\n');
  t.is((await cluster.tctl(['get', 'pod', 'good'])).code, 1);
  const again = await cluster.tctl(['delete', 'pod', 'good']);
  t.is(again.code, 1);
  t.is(again.stderr, 'error: pods "good" not found\n');
  t.is((await cluster.tctl(['delete', 'pod', 'good', '--ignore-not-found'])).code, 0);

  // The namespace is emptied only after a 5 s grace (as Kubernetes'), so the later documents
  // are still there to delete.
  const fromFile = await cluster.tctl(['delete', '-f', DEMO]);
  t.is(fromFile.code, 0, fromFile.stderr);
  t.is(fromFile.stdout.split('\n')[0], 'namespace "demo" deleted');
  const ns = await cluster.tctl(['get', 'ns', 'demo']);
  t.is(ns.stderr, 'error: namespaces "demo" not found\n');
});
