// End to end, as an operator: `tctl cluster up --monitoring` runs Debian's Prometheus beside
// the cluster. Every component is a healthy target within 30 s, every panel of the shipped
// Grafana dashboard has data, every Tugboat endpoint passes `promtool check metrics`, a
// crashed node raises NodeNotReady, a node restarted on another port is followed, and
// `cluster down` stops Prometheus too.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalCluster, type ClusterComponent, type LocalClusterHandle } from '../harness/cluster.js';
import { deployment, eventually } from './helpers.js';

const MONITORING = fileURLToPath(new URL('../../../manifests/monitoring/', import.meta.url));
const available = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const missing = ['prometheus', 'promtool'].filter((c) => !available(c));
if (missing.length) console.log(`monitoring e2e skipped: ${missing.join(' and ')} not installed (Debian's prometheus package; scripts/setup.sh installs it)`);
const serial = missing.length ? test.serial.skip : test.serial;

let cluster: LocalClusterHandle;
let upDoneAt = 0;
let prometheus = '';

test.before(async () => {
  if (missing.length) return;
  cluster = await startLocalCluster({ nodes: 2, runtime: 'process', args: ['--monitoring'] });
  upDoneAt = Date.now();
  const prom = (await cluster.components()).find((c) => c.role === 'prometheus');
  if (!prom) throw new Error('cluster status lists no prometheus');
  prometheus = `http://${prom.addresses['http']}`;
});

test.after.always(async () => {
  await cluster?.destroy();
});

interface PromVector { metric: Record<string, string>; value: [number, string] }

async function query(expr: string): Promise<PromVector[]> {
  const res = await fetch(`${prometheus}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = await res.json() as { status: string; error?: string; data?: { result: PromVector[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error ?? res.status}`);
  return body.data!.result;
}

interface ActiveTarget { labels: Record<string, string>; health: string; lastError: string; scrapeUrl: string }

async function targets(): Promise<ActiveTarget[]> {
  const body = await (await fetch(`${prometheus}/api/v1/targets?state=active`)).json() as { data: { activeTargets: ActiveTarget[] } };
  return body.data.activeTargets;
}

/** The component names whose target is up (a scrape succeeded: up == 1). */
async function upComponents(): Promise<Map<string, string>> {
  const up = await query('up == 1');
  return new Map(up.map((s) => [s.metric['component'] ?? '', s.metric['instance'] ?? '']));
}

function httpsGet(url: string, pki: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'prometheus.crt')), key: readFileSync(join(pki, 'prometheus.key')),
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}: ${body}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `for` of an alert in the shipped rules, in ms. */
function alertFor(name: string): number {
  const rules = readFileSync(join(MONITORING, 'rules', 'alerts.yml'), 'utf8');
  const block = rules.slice(rules.indexOf(`alert: ${name}\n`));
  const m = /\n\s+for: (\d+)([sm])\n/.exec(block);
  if (!m) throw new Error(`no for: in ${name}`);
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : 1000);
}

serial('cluster status lists Prometheus with its URL; within 30 s every component is up in Prometheus', async (t) => {
  const status = await cluster.tctl(['cluster', 'status']);
  t.regex(status.stdout, /^prometheus\s+running\s+\d+\s+http 127\.0\.0\.1:\d+$/m);
  t.true(status.stdout.includes(`Prometheus: ${prometheus} `), status.stdout);
  const names = (await cluster.components()).map((c) => c.name);
  t.deepEqual(names, ['etcd', 'apiserver', 'scheduler', 'controllers', 'dns', 'node-1', 'node-2', 'prometheus']);
  const up = await eventually('every component up in Prometheus', async () => {
    const u = await upComponents();
    return names.every((n) => u.has(n)) ? u : undefined;
  }, Math.max(1_000, 30_000 - (Date.now() - upDoneAt)), 500);
  t.log(`all ${up.size} targets up ${((Date.now() - upDoneAt) / 1000).toFixed(1)} s after cluster up returned`);
  const active = await targets();
  // The API server is scraped on its TLS port, as the system:monitoring client.
  t.regex(active.find((x) => x.labels['job'] === 'apiserver')?.scrapeUrl ?? '', /^https:\/\/127\.0\.0\.1:\d+\/metrics$/);
  t.deepEqual([...new Set(active.map((x) => x.labels['job']))].sort(), ['apiserver', 'coredns', 'etcd', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'prometheus']);
  // The rules loaded and evaluate without errors.
  const rules = await (await fetch(`${prometheus}/api/v1/rules`)).json() as { data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] } };
  const all = rules.data.groups.flatMap((g) => g.rules);
  t.true(all.some((r) => r.name === 'NodeNotReady'));
  t.deepEqual(all.filter((r) => r.health === 'err').map((r) => `${r.name}: ${r.lastError}`), []);
});

serial('every panel of the Grafana dashboard returns data from the live Prometheus', async (t) => {
  await cluster.tctl(['apply', '-f', '-'], deployment('web', { replicas: 2, cpu: '50m' }));
  await eventually('two web pods Running in kube_pod_status_phase', async () =>
    (await query('sum(kube_pod_status_phase{phase="Running"})'))[0]?.value[1] === '2', 60_000, 1_000);
  const dash = JSON.parse(readFileSync(join(MONITORING, 'dashboards', 'tugboat-cluster.json'), 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
  const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((q) => ({ title: p.title, expr: q.expr })));
  t.true(exprs.length >= 25);
  // Rates need two scrapes of the new series and the recording rules an evaluation: wait a little for the last ones.
  const empty = await eventually('data for every panel', async () => {
    const left: string[] = [];
    for (const e of exprs) if ((await query(e.expr)).length === 0) left.push(`${e.title}: ${e.expr}`);
    return left.length === 0 ? left : undefined;
  }, 60_000, 2_000).catch((e: unknown) => [String(e)]);
  t.deepEqual(empty, []);
  // Kubernetes' names and labels, from both front doors of the API server.
  t.true((await query('apiserver_request_total{code="201",verb="POST"}')).length > 0, 'gRPC creates count as POST 201');
  t.true((await query('kube_deployment_spec_replicas{namespace="default",deployment="web"} == 2')).length === 1);
  t.true((await query('scheduler_schedule_attempts_total{result="scheduled",profile="default-scheduler"} >= 2')).length === 1);
});

serial('`promtool check metrics` passes on every Tugboat endpoint', async (t) => {
  const components = await cluster.components();
  const endpoints: { name: string; text: string }[] = [];
  for (const c of components) {
    if (c.role === 'etcd') continue;
    if (c.addresses['http']) endpoints.push({ name: `${c.name} http`, text: await (await fetch(`http://${c.addresses['http']}/metrics`)).text() });
  }
  const api = components.find((c) => c.role === 'apiserver')!;
  endpoints.push({ name: 'apiserver https (REST)', text: await httpsGet(`https://${api.addresses['grpc']}/metrics`, cluster.pkiDir) });
  t.is(endpoints.length, 8);
  for (const e of endpoints) {
    const r = spawnSync('promtool', ['check', 'metrics'], { input: e.text, encoding: 'utf8' });
    t.is(r.status, 0, `${e.name}: ${r.stdout}${r.stderr}`);
  }
  // etcd is Debian's program, not ours: its own lint findings are reported, not asserted.
  const etcd = components.find((c) => c.role === 'etcd')!;
  const r = spawnSync('promtool', ['check', 'metrics'], { input: await (await fetch(`http://${etcd.addresses['metrics']}/metrics`)).text(), encoding: 'utf8' });
  t.log(`etcd's own /metrics: ${`${r.stdout}${r.stderr}`.split('\n').filter(Boolean).length} promtool findings (upstream etcd names)`);
});

serial('a crashed node raises NodeNotReady within its `for` + 30 s; restarted on another port, it is scraped there', async (t) => {
  const forMs = alertFor('NodeNotReady');
  await cluster.tctl(['cluster', 'stop-node', 'node-2']);
  const stopped = Date.now();
  const alert = await eventually('NodeNotReady for node-2', async () => {
    const body = await (await fetch(`${prometheus}/api/v1/alerts`)).json() as { data: { alerts: { labels: Record<string, string>; state: string }[] } };
    return body.data.alerts.find((a) => a.labels['alertname'] === 'NodeNotReady' && a.labels['node'] === 'node-2');
  }, forMs + 30_000, 1_000);
  t.true(alert.state === 'pending' || alert.state === 'firing');
  t.log(`NodeNotReady ${alert.state} ${((Date.now() - stopped) / 1000).toFixed(1)} s after stop-node (for: ${forMs / 1000} s)`);
  t.false((await upComponents()).has('node-2'), 'its target is down');

  // Its HTTP port taken meanwhile: start-node moves it to fresh ports, and the targets follow.
  const old: ClusterComponent = (await cluster.components()).find((c) => c.name === 'node-2')!;
  const [host, port] = [old.addresses['http']!.split(':')[0]!, Number(old.addresses['http']!.split(':')[1])];
  const squatter: Server = createServer();
  await new Promise<void>((resolve) => squatter.listen(port, host, resolve));
  try {
    const started = await cluster.tctl(['cluster', 'start-node', 'node-2'], undefined, 120_000);
    t.is(started.code, 0, started.stderr);
  } finally {
    squatter.close();
  }
  const moved = (await cluster.components()).find((c) => c.name === 'node-2')!;
  t.not(moved.addresses['http'], old.addresses['http']);
  const restarted = Date.now();
  await eventually('node-2 up at its new address', async () => (await upComponents()).get('node-2') === moved.addresses['http'], 30_000, 500);
  t.log(`node-2 scraped at its new address ${((Date.now() - restarted) / 1000).toFixed(1)} s after start-node returned`);
});

serial('cluster down stops Prometheus', async (t) => {
  const down = await cluster.tctl(['cluster', 'down'], undefined, 120_000);
  t.is(down.code, 0, down.stderr);
  t.regex(down.stdout, /stopped\s+prometheus/);
  const prom = (await cluster.components()).find((c) => c.role === 'prometheus')!;
  t.is(prom.state, 'stopped');
  await t.throwsAsync(fetch(`${prometheus}/-/ready`));
});
