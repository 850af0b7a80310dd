// `tctl cluster up --monitoring`: Debian's Prometheus as one more component of the local
// cluster, configured from manifests/monitoring/ (prometheus.yml, rules/):
//
//   manifests/monitoring/prometheus.yml ──render ${TUGBOAT_HOME}, ${PKI}──▶ $TUGBOAT_HOME/monitoring/prometheus.yml
//   manifests/monitoring/rules/*.yml    ──copy──────────────────────────▶ $TUGBOAT_HOME/monitoring/rules/
//   cluster.json (every component's addresses) ──scrapeTargets──▶ $TUGBOAT_HOME/monitoring/targets/<job>.json
//
// The targets are file_sd files, rewritten whenever the launcher records a component (a
// start, a restart on new ports): Prometheus notices the change itself, no reload needed.
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeStateFile, type Env } from '../config.js';
import { CliError } from '../errors.js';
import type { ComponentRecord, Role } from './state.js';

/** Where one cluster's monitoring lives, under $TUGBOAT_HOME/monitoring. Pure. */
export class MonitoringLayout {
  readonly dir: string;
  constructor(home: string) {
    this.dir = join(home, 'monitoring');
  }
  get config(): string { return join(this.dir, 'prometheus.yml'); }
  get data(): string { return join(this.dir, 'data'); }
  get rules(): string { return join(this.dir, 'rules'); }
  get targets(): string { return join(this.dir, 'targets'); }
}

/** The scrape jobs of the shipped prometheus.yml, with Kubernetes' job names where Kubernetes has the component. */
export type ScrapeJob = 'apiserver' | 'etcd' | 'kube-scheduler' | 'kube-controller-manager' | 'coredns' | 'kubelet' | 'prometheus';

export const SCRAPE_JOBS: readonly ScrapeJob[] = ['apiserver', 'etcd', 'kube-scheduler', 'kube-controller-manager', 'coredns', 'kubelet', 'prometheus'];

/** A file_sd target group. */
export interface TargetGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** Which job scrapes a component, and at which of its addresses (undefined: none). Pure. */
export function scrapeTarget(c: Pick<ComponentRecord, 'role' | 'addresses'>): { job: ScrapeJob; address: string } | undefined {
  const at = (job: ScrapeJob, address: string | undefined): { job: ScrapeJob; address: string } | undefined => (address ? { job, address } : undefined);
  const role: Role = c.role;
  switch (role) {
    // The REST API's /metrics on the TLS port (https in prometheus.yml).
    case 'apiserver': return at('apiserver', c.addresses['grpc']);
    // Its plain-HTTP metrics listener; a cluster made before there was one has none.
    case 'etcd': return at('etcd', c.addresses['metrics']);
    case 'scheduler': return at('kube-scheduler', c.addresses['http']);
    case 'controllers': return at('kube-controller-manager', c.addresses['http']);
    case 'dns': return at('coredns', c.addresses['http']);
    case 'agent': return at('kubelet', c.addresses['http']);
    case 'prometheus': return at('prometheus', c.addresses['http']);
  }
}

/** Every job's target groups for these components (jobs without any get an empty list). Pure. */
export function scrapeTargets(components: readonly ComponentRecord[]): Record<ScrapeJob, TargetGroup[]> {
  const out = Object.fromEntries(SCRAPE_JOBS.map((j) => [j, [] as TargetGroup[]])) as Record<ScrapeJob, TargetGroup[]>;
  for (const c of components) {
    const t = scrapeTarget(c);
    if (!t) continue;
    // `component` names the process (node-2, apiserver); agents also get kubelet's `node`.
    out[t.job].push({ targets: [t.address], labels: { component: c.name, ...(c.role === 'agent' ? { node: c.name } : {}) } });
  }
  return out;
}

/** Writes the file_sd files that changed, each atomically (Prometheus never reads half a file). */
export function writeScrapeTargets(layout: MonitoringLayout, components: readonly ComponentRecord[]): void {
  for (const [job, groups] of Object.entries(scrapeTargets(components))) {
    const path = join(layout.targets, `${job}.json`);
    // Unchanged files are left alone: every rewrite makes Prometheus re-read them.
    if (existsSync(path) && readFileSync(path, 'utf8') === `${JSON.stringify(groups, null, 2)}\n`) continue;
    writeStateFile(path, groups);
  }
}

/**
 * Fills in `${NAME}` placeholders. Pure. A placeholder without a value is an error, so a
 * template that grew a variable tctl does not know fails here, not as a Prometheus error.
 */
export function renderTemplate(template: string, vars: Readonly<Record<string, string>>, what: string): string {
  return template.replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new CliError(`${what}: unknown placeholder \${${name}} (known: ${Object.keys(vars).join(', ')})`);
    return v;
  });
}

/** manifests/monitoring: $TUGBOAT_MONITORING_DIR, else the checkout's, found upwards from this package. */
export function findMonitoringDir(env: Env, from = dirname(fileURLToPath(import.meta.url))): string {
  const explicit = env['TUGBOAT_MONITORING_DIR'];
  const ok = (d: string): boolean => existsSync(join(d, 'prometheus.yml')) && existsSync(join(d, 'rules'));
  if (explicit) {
    if (ok(explicit)) return explicit;
    throw new CliError(`$TUGBOAT_MONITORING_DIR (${explicit}) has no prometheus.yml and rules/`);
  }
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'manifests', 'monitoring');
    if (ok(candidate)) return candidate;
    if (dirname(dir) === dir) throw new CliError('manifests/monitoring (prometheus.yml, rules/) not found above tctl: set $TUGBOAT_MONITORING_DIR');
  }
}

/** Renders prometheus.yml and copies the rules into the cluster's monitoring folder (every `up`, so edits there are picked up). */
export function prepareMonitoring(layout: MonitoringLayout, sourceDir: string, vars: { home: string; pki: string }): void {
  mkdirSync(layout.data, { recursive: true });
  const template = readFileSync(join(sourceDir, 'prometheus.yml'), 'utf8');
  writeFileSync(layout.config, renderTemplate(template, { TUGBOAT_HOME: vars.home, PKI: vars.pki }, join(sourceDir, 'prometheus.yml')));
  rmSync(layout.rules, { recursive: true, force: true });
  mkdirSync(layout.rules, { recursive: true });
  for (const f of readdirSync(join(sourceDir, 'rules'))) if (f.endsWith('.yml') || f.endsWith('.yaml')) copyFileSync(join(sourceDir, 'rules', f), join(layout.rules, f));
}
