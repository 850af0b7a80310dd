// The shipped monitoring (manifests/monitoring) checked by Prometheus' own tool: the rendered
// configuration, the rules, and the rules' unit tests (every alert fires on a synthetic series
// and stays quiet otherwise). The live side is test/src/e2e/monitoring.test.ts.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { componentArgs } from './launcher.js';
import { MonitoringLayout, findMonitoringDir, prepareMonitoring, renderTemplate, scrapeTargets, writeScrapeTargets } from './monitoring.js';
import { ClusterPkiLayout } from './pki.js';
import type { ComponentRecord, Role } from './state.js';

const source = findMonitoringDir({});
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

function promtool(t: { log(...s: string[]): void }, ...args: string[]): { status: number | null; output: string } | undefined {
  if (!hasPromtool) {
    t.log('promtool is not installed (Debian\'s prometheus package; scripts/setup.sh installs it): skipped');
    return undefined;
  }
  const r = spawnSync('promtool', args, { encoding: 'utf8', cwd: source });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const record = (name: string, role: Role, addresses: Record<string, string>): ComponentRecord => ({
  name, role, pid: 1, addresses, command: '', args: [], logFile: '', startedAt: '',
});

const cluster = [
  record('etcd', 'etcd', { client: '127.0.0.1:2379', peer: '127.0.0.1:2380', metrics: '127.0.0.1:2381' }),
  record('apiserver', 'apiserver', { grpc: '127.0.0.1:6443', http: '127.0.0.1:6480' }),
  record('scheduler', 'scheduler', { http: '127.0.0.1:10259' }),
  record('controllers', 'controllers', { http: '127.0.0.1:10257' }),
  record('dns', 'dns', { dns: '127.0.0.1:10053', http: '127.0.0.1:9153' }),
  record('node-1', 'agent', { grpc: '127.0.0.1:10250', http: '127.0.0.1:10350' }),
  record('node-2', 'agent', { grpc: '127.0.0.1:10251', http: '127.0.0.1:10351' }),
  record('prometheus', 'prometheus', { http: '127.0.0.1:9090' }),
];

test('every component is a target of its job: the API server on its TLS port, etcd on its metrics listener, agents with their node', (t) => {
  const targets = scrapeTargets(cluster);
  t.deepEqual(targets.apiserver, [{ targets: ['127.0.0.1:6443'], labels: { component: 'apiserver' } }]);
  t.deepEqual(targets.etcd, [{ targets: ['127.0.0.1:2381'], labels: { component: 'etcd' } }]);
  t.deepEqual(targets['kube-scheduler'], [{ targets: ['127.0.0.1:10259'], labels: { component: 'scheduler' } }]);
  t.deepEqual(targets['kube-controller-manager'], [{ targets: ['127.0.0.1:10257'], labels: { component: 'controllers' } }]);
  t.deepEqual(targets.coredns, [{ targets: ['127.0.0.1:9153'], labels: { component: 'dns' } }]);
  t.deepEqual(targets.kubelet, [
    { targets: ['127.0.0.1:10350'], labels: { component: 'node-1', node: 'node-1' } },
    { targets: ['127.0.0.1:10351'], labels: { component: 'node-2', node: 'node-2' } },
  ]);
  t.deepEqual(targets.prometheus, [{ targets: ['127.0.0.1:9090'], labels: { component: 'prometheus' } }]);
  // An etcd recorded before it had a metrics listener is simply not scraped.
  t.deepEqual(scrapeTargets([record('etcd', 'etcd', { client: '127.0.0.1:2379', peer: '127.0.0.1:2380' })]).etcd, []);
});

test('the command lines: etcd\'s plain-HTTP metrics listener, Prometheus with its folder', (t) => {
  const wiring = { etcdUrl: '', apiServer: '', runtime: 'process' as const, extraArgs: {}, pki: new ClusterPkiLayout('/h') };
  const etcd = componentArgs('etcd', 'etcd', { client: 2379, peer: 2380, metrics: 2381 }, '/h/etcd', wiring);
  t.is(etcd.args[etcd.args.indexOf('--listen-metrics-urls') + 1], 'http://127.0.0.1:2381');
  t.deepEqual(etcd.addresses, { client: '127.0.0.1:2379', peer: '127.0.0.1:2380', metrics: '127.0.0.1:2381' });
  const prom = componentArgs('prometheus', 'prometheus', { http: 9090 }, '/h/monitoring/data', wiring);
  t.deepEqual(prom.args, [
    '--config.file', '/h/monitoring/prometheus.yml', '--storage.tsdb.path', '/h/monitoring/data', '--storage.tsdb.retention.time', '2d',
    '--web.listen-address', '127.0.0.1:9090',
  ]);
  t.deepEqual(prom.addresses, { http: '127.0.0.1:9090' });
});

test('templates: every placeholder filled in; an unknown one is one clear error', (t) => {
  t.is(renderTemplate('a ${X}/b ${Y}', { X: '1', Y: '2' }, 'f.yml'), 'a 1/b 2');
  t.throws(() => renderTemplate('${NOPE}', { X: '1' }, 'f.yml'), { message: 'f.yml: unknown placeholder ${NOPE} (known: X)' });
});

test('the rendered prometheus.yml and its targets pass `promtool check config`', (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tugboat-monitoring-'));
  try {
    const layout = new MonitoringLayout(home);
    const pki = join(home, 'pki');
    prepareMonitoring(layout, source, { home, pki });
    const config = readFileSync(layout.config, 'utf8');
    t.notRegex(config, /\$\{/);
    t.true(config.includes(`cert_file: ${pki}/prometheus.crt`));
    t.deepEqual(readdirSync(layout.rules).sort(), readdirSync(join(source, 'rules')).sort());
    writeScrapeTargets(layout, cluster);
    t.deepEqual(JSON.parse(readFileSync(join(layout.targets, 'kubelet.json'), 'utf8')), scrapeTargets(cluster).kubelet);
    // promtool checks that the TLS files exist.
    mkdirSync(pki);
    for (const f of ['ca.crt', 'prometheus.crt', 'prometheus.key']) writeFileSync(join(pki, f), '');
    const r = promtool(t, 'check', 'config', '--syntax-only', layout.config);
    if (r) t.is(r.status, 0, r.output);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('`promtool check rules` passes on the shipped rules', (t) => {
  const files = readdirSync(join(source, 'rules')).map((f) => join('rules', f));
  t.true(files.length >= 2);
  const r = promtool(t, 'check', 'rules', ...files);
  if (r) t.is(r.status, 0, r.output);
});

test('`promtool test rules`: every alert fires on a synthetic series and stays quiet otherwise', (t) => {
  const tests = readFileSync(join(source, 'tests', 'alerts.test.yml'), 'utf8');
  const alerts = readFileSync(join(source, 'rules', 'alerts.yml'), 'utf8');
  // Every alert has a test case that expects it to fire and one that expects silence.
  for (const name of new Set([...alerts.matchAll(/^\s+- alert: (\S+)$/gm)].map((m) => m[1]!))) {
    const cases = tests.split(/\n\s+alertname: /).slice(1).filter((c) => c.startsWith(`${name}\n`));
    t.true(cases.some((c) => /exp_alerts:\n\s+- exp_labels/.test(c)), `${name} fires in some test`);
    t.true(cases.some((c) => /exp_alerts: \[\]/.test(c)), `${name} stays quiet in some test`);
  }
  const r = promtool(t, 'test', 'rules', join('tests', 'alerts.test.yml'));
  if (r) t.is(r.status, 0, r.output);
});

test('the Grafana dashboard has the five sections, and every panel a query', (t) => {
  const dash = JSON.parse(readFileSync(join(source, 'dashboards', 'tugboat-cluster.json'), 'utf8')) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };
  t.deepEqual(dash.panels.filter((p) => p.type === 'row').map((p) => p.title), ['Cluster overview', 'API server', 'Scheduler', 'Nodes', 'Pods']);
  for (const p of dash.panels.filter((x) => x.type !== 'row')) t.true((p.targets ?? []).length > 0 && p.targets!.every((q) => q.expr.trim() !== ''), p.title);
});
