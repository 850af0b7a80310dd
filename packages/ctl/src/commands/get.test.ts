// `tctl get` against a real TLS API server on a real etcd, side by side with kubectl v1.32 on
// the same objects: the tables a kubectl user reads (columns, READY, STATUS, RESTARTS, AGE),
// -o wide / name / json / yaml, --show-labels, -L, --no-headers, --sort-by, -n / -A, -l, and
// the lines printed for names that do not exist. No controllers run: the test writes the
// statuses they would. Where tctl differs from kubectl on purpose, the test says so.
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '@tugboat/api';
import { startSecureServer, type SecureServer, type TctlRun } from '../testing/secure-server.js';

const KUBECTL = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;
if (!KUBECTL) console.log('get.test: kubectl is not installed here; tctl is checked alone, and the tests that need kubectl are skipped');

const withKubectl = KUBECTL ? test.serial : test.serial.skip;

let server: SecureServer;

/** kubectl as a child process (asynchronous: the API server answers from this very process). */
function kubectl(...args: string[]): Promise<TctlRun> {
  return new Promise((resolve) => {
    execFile('kubectl', ['--kubeconfig', server.adminKubeconfig, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

const tctl = (...args: string[]): Promise<TctlRun> => server.tctl(args);

/**
 * A table as rows of cells, cut where the header's columns start (cells may hold single
 * spaces: "3 (2m ago)", "LAST SEEN"). Times are masked ("65s", "2m5s", "4h" → "T"): the two
 * commands run a moment apart.
 */
function cells(text: string, headerLine = 0): string[][] {
  const lines = text.replace(/\n$/, '').split('\n');
  const header = lines[headerLine] ?? '';
  const starts = [0];
  for (const m of header.matchAll(/ {2,}(?=\S)/g)) starts.push(m.index + m[0].length);
  return lines.map((line) => starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length).trim().replace(/\b\d+[smhdy](\d+[smhdy])?\b/g, 'T')));
}

/** tctl's table, which must be kubectl's (times masked) where kubectl is installed. */
async function sameTable(t: { deepEqual(a: unknown, b: unknown, m?: string): void; is(a: unknown, b: unknown, m?: string): void }, ...args: string[]): Promise<string[][]> {
  const ours = await tctl('get', ...args);
  t.is(ours.code, 0, ours.stderr);
  const rows = cells(ours.stdout);
  if (KUBECTL) {
    const theirs = await kubectl('get', ...args);
    t.is(theirs.code, 0, theirs.stderr);
    t.deepEqual(rows, cells(theirs.stdout), `get ${args.join(' ')}:\n${ours.stdout}\nkubectl:\n${theirs.stdout}`);
  }
  return rows;
}

const minutesAgo = (m: number): string => new Date(Date.now() - m * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');

const running = (name: string, restarts = 0) => ({
  name, image: 'busybox', imageID: '', ready: true, restartCount: restarts, started: true,
  state: { running: { startedAt: minutesAgo(1) } },
  ...(restarts ? { lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: minutesAgo(4), finishedAt: minutesAgo(2) } } } : {}),
});

const pod = (name: string, ns: string, labels: Record<string, string>, containers = ['app'], nodeName?: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
  spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
});

async function make(obj: KubeObject, status?: Record<string, unknown>): Promise<void> {
  const c = server.api.client();
  const made = await c.create(obj);
  if (status) await c.updateStatus({ ...made, status });
}

test.before(async () => {
  server = await startSecureServer();
  await make({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  await make({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', labels: { 'node-role.kubernetes.io/worker': '', zone: 'a' } } }, {
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: minutesAgo(0), lastTransitionTime: minutesAgo(5) }],
    addresses: [{ type: 'InternalIP', address: '198.18.0.11' }], nodeInfo: { kubeletVersion: 'v0.1.0' },
    allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, capacity: { cpu: '2', memory: '4Gi', pods: '110' },
  });
  await make(pod('web-1', 'default', { app: 'web', tier: 'fe' }, ['app', 'sidecar'], 'node-1'), {
    phase: 'Running', podIP: '198.18.1.5', podIPs: [{ ip: '198.18.1.5' }], startTime: minutesAgo(5),
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [running('app', 3), running('sidecar')],
  });
  await make(pod('web-2', 'default', { app: 'web' }), { phase: 'Pending' });
  await make(pod('crash', 'default', { app: 'batch' }, ['app'], 'node-1'), {
    phase: 'Running', podIP: '198.18.1.6', startTime: minutesAgo(5),
    containerStatuses: [{ name: 'app', image: 'busybox', imageID: '', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off' } },
      lastState: { terminated: { exitCode: 2, reason: 'Error', startedAt: minutesAgo(3), finishedAt: minutesAgo(1) } } }],
  });
  await make(pod('done', 'default', { app: 'batch' }, ['app'], 'node-1'), {
    phase: 'Succeeded', startTime: minutesAgo(5),
    containerStatuses: [{ name: 'app', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: minutesAgo(4), finishedAt: minutesAgo(3) } } }],
  });
  await make(pod('api-1', 'team', { app: 'api' }, ['app'], 'node-1'), { phase: 'Running', containerStatuses: [running('app')] });
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }] } };
  await make({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template } },
    { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 2, availableReplicas: 2, unavailableReplicas: 1 });
  await make({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' }, spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { ...template, metadata: { labels: { app: 'db' } } } } },
    { observedGeneration: 1, replicas: 2, readyReplicas: 1, currentReplicas: 2, updatedReplicas: 2, availableReplicas: 1 });
  const jobTemplate = { spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] } };
  await make({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: 'default' }, spec: { completions: 2, template: jobTemplate } },
    { startTime: minutesAgo(10), completionTime: minutesAgo(7), succeeded: 2, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }, { type: 'Complete', status: 'True' }] });
  await make({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'slow', namespace: 'default' }, spec: { template: jobTemplate } }, { startTime: minutesAgo(2), active: 1 });
  await make({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'default' }, spec: { schedule: '0 3 * * *', timeZone: 'Etc/UTC', jobTemplate: { spec: { template: jobTemplate } } } },
    { lastScheduleTime: minutesAgo(90) });
  await make({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-a' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: 'manual', hostPath: { path: '/tmp/pv-a' } } },
    { phase: 'Available' });
  await make({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'manual', resources: { requests: { storage: '1Gi' } } } },
    { phase: 'Pending' });
  await make({
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'web-1.a', namespace: 'default' },
    involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' }, reason: 'Pulled', type: 'Normal', message: 'Container image "busybox" already present on machine',
    source: { component: 'kubelet' }, firstTimestamp: minutesAgo(3), lastTimestamp: minutesAgo(3), count: 1,
  });
});
test.after.always(async () => { await server?.stop(); });

test.serial('pods: READY, STATUS (CrashLoopBackOff, Completed, Pending), RESTARTS with the last one\'s age, AGE — as kubectl', async (t) => {
  const rows = await sameTable(t, 'pods');
  t.deepEqual(rows[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
  t.deepEqual(rows.map((r) => r[0]), ['NAME', 'crash', 'done', 'web-1', 'web-2'], 'sorted by name');
  t.deepEqual(rows.slice(1).map((r) => r.slice(1, 4)), [
    ['0/1', 'CrashLoopBackOff', '5 (T ago)'],
    ['0/1', 'Completed', '0'],
    ['2/2', 'Running', '3 (T ago)'],
    ['0/1', 'Pending', '0'],
  ]);
});

test.serial('other kinds as kubectl prints them: deployments, statefulsets, jobs, cronjobs, nodes, pvc, pv, events', async (t) => {
  t.deepEqual((await sameTable(t, 'deployments'))[1], ['web', '2/3', '3', '2', 'T']);
  t.deepEqual((await sameTable(t, 'sts'))[1], ['db', '1/2', 'T']);
  const jobs = await sameTable(t, 'jobs');
  t.deepEqual(jobs[0], ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
  t.deepEqual(jobs.slice(1).map((r) => r.slice(0, 3)), [['once', 'Complete', '2/2'], ['slow', 'Running', '0/1']]);
  t.deepEqual((await sameTable(t, 'cronjobs'))[1]?.slice(0, 5), ['nightly', '0 3 * * *', 'Etc/UTC', 'False', '0']);
  t.deepEqual((await sameTable(t, 'nodes'))[1]?.slice(0, 3), ['node-1', 'Ready', 'worker']);
  t.deepEqual((await sameTable(t, 'pvc'))[1]?.slice(0, 2), ['data', 'Pending']);
  t.deepEqual((await sameTable(t, 'pv'))[1]?.slice(0, 5), ['pv-a', '1Gi', 'RWO', 'Retain', 'Available']);
  t.deepEqual((await sameTable(t, 'events'))[1]?.slice(1), ['Normal', 'Pulled', 'pod/web-1', 'Container image "busybox" already present on machine']);
});

test.serial('-A adds NAMESPACE; -n picks one; -l selects — as kubectl', async (t) => {
  const all = await sameTable(t, 'pods', '-A');
  t.deepEqual(all[0]?.slice(0, 2), ['NAMESPACE', 'NAME']);
  t.deepEqual(all.slice(1).map((r) => `${r[0]}/${r[1]}`), ['default/crash', 'default/done', 'default/web-1', 'default/web-2', 'team/api-1']);
  t.deepEqual((await sameTable(t, 'pods', '-n', 'team')).map((r) => r[0]), ['NAME', 'api-1']);
  t.deepEqual(await sameTable(t, 'pods', '-A', '-n', 'team'), all, '-A wins over -n');
  t.deepEqual(await sameTable(t, 'pods', '--all-namespaces=true', '-oname'), [['pod/crash'], ['pod/done'], ['pod/web-1'], ['pod/web-2'], ['pod/api-1']]);
  t.deepEqual((await sameTable(t, 'pods', '-l', 'app=web,tier!=fe')).map((r) => r[0]), ['NAME', 'web-2']);
  t.deepEqual((await sameTable(t, 'pods', '-l', 'app in (batch)', '-A')).map((r) => r[1]), ['NAME', 'crash', 'done']);
  t.deepEqual((await sameTable(t, 'pods', '--selector=app=web', '--field-selector', 'spec.nodeName=node-1')).map((r) => r[0]), ['NAME', 'web-1']);
});

test.serial('--show-labels, -L (repeated and comma-separated), --no-headers, --sort-by — as kubectl', async (t) => {
  const labelled = await sameTable(t, 'pods', '-l', 'app=web', '--show-labels', '-L', 'tier', '-L', 'app');
  t.deepEqual(labelled[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'TIER', 'APP', 'LABELS']);
  t.deepEqual(labelled[1]?.slice(5), ['fe', 'web', 'app=web,tier=fe']);
  t.deepEqual(labelled[2]?.slice(5), ['', 'web', 'app=web']);
  t.deepEqual((await sameTable(t, 'nodes', '-L', 'zone,missing'))[0]?.slice(-2), ['ZONE', 'MISSING']);
  const bare = await sameTable(t, 'pods', '--no-headers');
  t.is(bare[0]?.[0], 'crash', 'no header line');
  const byRestarts = await sameTable(t, 'pods', '--sort-by', '.status.containerStatuses[0].restartCount', '--no-headers');
  t.is(byRestarts.at(-1)?.[0], 'crash', 'most restarts last');
  const byName = await sameTable(t, 'pods', '-A', '--sort-by=.metadata.name', '--no-headers');
  t.deepEqual(byName.map((r) => r[1]), ['api-1', 'crash', 'done', 'web-1', 'web-2']);
});

withKubectl('several kinds at once: one table each, names as kind/name — as kubectl', async (t) => {
  const [ours, theirs] = [await tctl('get', 'deploy,sts', '--no-headers'), await kubectl('get', 'deploy,sts', '--no-headers')];
  t.is(ours.code, 0, ours.stderr);
  const names = (s: string): string[] => s.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]!);
  t.deepEqual(names(ours.stdout), ['deployment.apps/web', 'statefulset.apps/db']);
  t.deepEqual(names(ours.stdout), names(theirs.stdout));
  const both = await tctl('get', 'pod/web-1', 'deploy/web');
  t.deepEqual(both.stdout.split('\n').map((l) => l.split(/\s+/)[0]), ['NAME', 'pod/web-1', '', 'NAME', 'deployment.apps/web', ''], 'a blank line between the tables');
  t.deepEqual(both.stdout.split('\n').map((l) => l.split(/\s+/)[0]), (await kubectl('get', 'pod/web-1', 'deploy/web')).stdout.split('\n').map((l) => l.split(/\s+/)[0]));
});

withKubectl('-o name, -o json, -o yaml print what kubectl prints', async (t) => {
  for (const args of [['pods'], ['pods', '-A'], ['deploy,sts'], ['pod', 'web-1', 'done'], ['pv'], ['cronjobs', '-l', 'nothing=here']]) {
    const [ours, theirs] = [await tctl('get', ...args, '-o', 'name'), await kubectl('get', ...args, '-o', 'name')];
    t.is(ours.stdout, theirs.stdout, `-o name ${args.join(' ')}`);
    t.is(ours.code, theirs.code);
  }
  const one = JSON.parse((await tctl('get', 'pod', 'web-1', '-o', 'json')).stdout) as KubeObject;
  const kOne = JSON.parse((await kubectl('get', 'pod', 'web-1', '-o', 'json')).stdout) as KubeObject;
  t.is(one.kind, 'Pod');
  t.deepEqual(one['spec'], kOne['spec']);
  t.deepEqual(one['status'], kOne['status']);
  t.is(one.metadata?.resourceVersion, kOne.metadata?.resourceVersion);
  const list = JSON.parse((await tctl('get', 'pods', '-o', 'json')).stdout) as { kind: string; apiVersion: string; items: KubeObject[] };
  const kList = JSON.parse((await kubectl('get', 'pods', '-o', 'json')).stdout) as typeof list;
  t.is(list.kind, kList.kind);
  t.is(list.apiVersion, kList.apiVersion);
  t.deepEqual(list.items.map((p) => p.metadata?.name), kList.items.map((p) => p.metadata?.name));
  const yaml = parseYaml((await tctl('get', 'deploy', 'web', '-o', 'yaml')).stdout) as KubeObject;
  const kYaml = parseYaml((await kubectl('get', 'deploy', 'web', '-o', 'yaml')).stdout) as KubeObject;
  t.deepEqual(yaml['spec'], kYaml['spec']);
  t.deepEqual(yaml['status'], kYaml['status']);
  // A name that is given alone is printed as the object; with -o json and several, a List.
  t.is((JSON.parse((await tctl('get', 'pod', 'web-1', 'done', '-o', 'json')).stdout) as { kind: string }).kind, 'List');
});

test.serial('-o wide: pods add IP and NODE (tctl leaves out NOMINATED NODE and READINESS GATES); nodes add requests', async (t) => {
  const pods = await tctl('get', 'pods', '-o', 'wide', '-l', 'tier=fe');
  t.is(pods.code, 0, pods.stderr);
  const rows = cells(pods.stdout);
  t.deepEqual(rows[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE']);
  t.deepEqual(rows[1]?.slice(5), ['198.18.1.5', 'node-1']);
  const nodes = cells((await tctl('get', 'nodes', '-o', 'wide')).stdout);
  t.deepEqual(nodes[0], ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP', 'CPU(REQ/ALLOC)', 'MEMORY(REQ/ALLOC)', 'PODS']);
  t.deepEqual(nodes[1]?.slice(5), ['198.18.0.11', '0/2', '0/4Gi', '3/110'], 'finished pods do not count');
  if (KUBECTL) {
    const theirs = cells((await kubectl('get', 'pods', '-o', 'wide', '-l', 'tier=fe')).stdout);
    t.deepEqual(theirs[0]?.slice(0, 7), rows[0], 'the columns tctl shows are kubectl\'s first seven');
    t.deepEqual(theirs[1]?.slice(0, 7), rows[1]);
  }
});

withKubectl('names that do not exist: kubectl\'s line for each, the rest printed, exit 1; --ignore-not-found', async (t) => {
  const ours = await tctl('get', 'pods', 'web-1', 'nosuch');
  const theirs = await kubectl('get', 'pods', 'web-1', 'nosuch');
  t.is(ours.code, 1);
  t.is(theirs.code, 1);
  t.deepEqual(cells(ours.stdout), cells(theirs.stdout));
  // kubectl words it "Error from server (NotFound): …"; tctl keeps its one-line "error: …" form.
  t.is(ours.stderr, 'error: pods "nosuch" not found\n');
  t.is(theirs.stderr, 'Error from server (NotFound): pods "nosuch" not found\n');
  t.deepEqual(await tctl('get', 'pods', 'nosuch', '--ignore-not-found'), { code: 0, stdout: '', stderr: '' });
  const none = await tctl('get', 'pods', '-n', 'empty');
  t.deepEqual(none, { code: 0, stdout: '', stderr: 'No resources found in empty namespace.\n' });
  t.is((await kubectl('get', 'pods', '-n', 'empty')).stderr, none.stderr);
});

test.serial('argument errors: one line naming what is wrong, usage exit code 2 (kubectl: 1), nothing on stdout', async (t) => {
  const cases: [string[], string][] = [
    [['get'], 'error: you must specify the type of resource to get (e.g. pods, deployments, nodes)\n'],
    [['get', 'pods', '--bogus'], "error: unknown flag: --bogus (see 'tctl get --help')\n"],
    [['get', 'pods', '-x'], "error: unknown shorthand flag: 'x' in -x (see 'tctl get --help')\n"],
    [['get', 'pods', '-n'], "error: flag needs an argument: -n (see 'tctl get --help')\n"],
    [['get', 'pod/web-1', 'done'], "error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'tctl get pod/web')\n"],
    [['get', 'pod/'], 'error: arguments in resource/name form must have a single resource and name: "pod/"\n'],
    [['get', 'pods', 'web-1', '-l', 'app=web'], 'error: names and selectors (-l, --field-selector) cannot be used together\n'],
    [['get', 'pods', '-o', 'xml'], 'error: unable to match a printer suitable for the output format "xml", allowed formats are: wide,yaml,json,name,jsonpath\n'],
    [['get', 'pods,deploy', '-w'], 'error: you may only specify a single resource type with -w\n'],
  ];
  for (const [argv, stderr] of cases) t.deepEqual(await server.tctl(argv), { code: 2, stdout: '', stderr }, argv.join(' '));
  // Not a usage error but the server's answer: exit 1, kubectl's words.
  t.deepEqual(await tctl('get', 'frobs'), { code: 1, stdout: '', stderr: 'error: the server doesn\'t have a resource type "frobs"\n' });
  if (KUBECTL) {
    t.is((await kubectl('get', 'frobs')).stderr, 'error: the server doesn\'t have a resource type "frobs"\n');
    const k = await kubectl('get', 'pods', '--bogus');
    t.is(k.code, 1, 'kubectl exits 1 where tctl exits 2');
    t.regex(k.stderr, /unknown flag: --bogus/);
  }
});

test.serial('short names and KIND/NAME forms reach the same objects as the long ones', async (t) => {
  const names = async (...args: string[]): Promise<string> => (await tctl('get', ...args, '-o', 'name')).stdout;
  const expected = 'deployment.apps/web\n';
  for (const form of [['deploy', 'web'], ['deployment', 'web'], ['deployments', 'web'], ['deployments.apps', 'web'], ['deploy/web'], ['deployments.apps/web']]) {
    t.is(await names(...form), expected, form.join(' '));
  }
  t.is(await names('po', '-n', 'team'), 'pod/api-1\n');
  t.is(await names('no'), 'node/node-1\n');
  t.is(await names('cj'), 'cronjob.batch/nightly\n');
  t.is(await names('pod/web-1', 'po/done', 'deploy/web'), 'pod/web-1\npod/done\ndeployment.apps/web\n');
  // Flags before the command, as kubectl takes them.
  t.is((await server.tctl(['-n', 'team', 'get', 'pods', '-o', 'name'])).stdout, 'pod/api-1\n');
});

withKubectl('-f with files and directories (-R descends): the same objects, in the same order, as kubectl', async (t) => {
  const dir = server.tempDir('tctl-get-f-');
  const cm = (name: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  k: v\n`;
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'b.yaml'), `${cm('b')}---\n${cm('c')}`);
  writeFileSync(join(dir, 'a.json'), JSON.stringify(parseYaml(cm('a'))));
  writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
  writeFileSync(join(dir, 'sub', 'd.yml'), cm('d'));
  for (const args of [['-f', dir], ['-f', dir, '-R'], ['-f', join(dir, 'b.yaml'), '-f', join(dir, 'sub')]]) {
    const ours = await tctl('apply', ...args, '--dry-run=server', '-o', 'name');
    const theirs = await kubectl('apply', ...args, '--dry-run=server', '-o', 'name');
    t.is(ours.code, 0, ours.stderr);
    t.is(ours.stdout, theirs.stdout, args.join(' '));
  }
  const missing = await tctl('apply', '-f', join(dir, 'nope.yaml'));
  t.is(missing.code, 1);
  t.is(missing.stderr, `error: the path "${join(dir, 'nope.yaml')}" does not exist\n`);
  t.is((await kubectl('apply', '-f', join(dir, 'nope.yaml'))).stderr, missing.stderr);
});
