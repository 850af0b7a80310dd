// API benchmark: throughput and latency of the API server's verbs, as a client sees them.
//
//   npm run bench:api -- [--concurrency 64] [--objects 4000] [--seconds 10] [--watchers 100]
//                        [--background-writes 500] [--identity user|token|admin] [--wire grpc,rest]
//
// It starts a real etcd and the built tugboat-apiserver as a child process (so the server's
// CPU is its own, not the benchmark's), TLS as always. Requests are made as `identity`:
//   user   a client certificate of a user bound to cluster-admin by a ClusterRoleBinding, so
//          every request is authenticated and authorized through RBAC (the default: the cost
//          every component and user pays);
//   token  the same through a ServiceAccount token (JWT checks, then RBAC);
//   admin  a system:masters certificate (authorization short-cut).
// Then, with `concurrency` requests in flight:
//   create  `objects` pods (no scheduler runs, so they stay Pending and nothing else writes);
//   get     random pods for `seconds`;
//   update  a label of random pods for `seconds` (each worker owns its pods: no conflicts);
//   list    every pod of the namespace (pages of 500) for `seconds`;
//   watch   `watchers` watches on the namespace while updates run: events delivered per
//           second and the delay from a write's answer to each watcher's receipt;
//   mutate  4 clients each create, update and delete pods of their own, one call at a time,
//           for `seconds`, while `background-writes` updates a second run behind them (paced,
//           up to 256 in flight): the latency of mutating calls on a busy server.
// Each line gives the count, the rate, and p50/p99 latency. The last line sums it up.
// `--wire` runs the phases once per wire format, on the same server (its own namespace each):
//   grpc  tctl's and the components' client (@tugboat/api's TugboatClient, HTTP/2);
//   rest  Kubernetes' REST API as kubectl and client libraries use it (HTTPS/1.1 keep-alive,
//         JSON; see rest-client.ts).
import os from 'node:os';
import type { Credentials, KubeObject, Pod, TugboatClient } from '@tugboat/api';
import { startApiServerProcess, type ApiServerProcess } from '../harness/apiserver.js';
import { etcdAvailable, startEtcd, type EtcdHandle } from '../harness/etcd.js';
import { RestClient } from './rest-client.js';

type Identity = 'user' | 'token' | 'admin';
type Wire = 'grpc' | 'rest';
interface Args { concurrency: number; objects: number; seconds: number; watchers: number; backgroundWrites: number; identity: Identity; wires: Wire[] }

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { concurrency: 64, objects: 4000, seconds: 10, watchers: 100, backgroundWrites: 500, identity: 'user', wires: ['grpc', 'rest'] };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (flag === '--wire') {
      const wires = (value ?? '').split(',');
      if (!wires.length || wires.some((w) => w !== 'grpc' && w !== 'rest')) throw new Error(`--wire: expected grpc, rest or grpc,rest, got ${JSON.stringify(value)}`);
      args.wires = wires as Wire[];
      continue;
    }
    if (flag === '--identity') {
      if (value !== 'user' && value !== 'token' && value !== 'admin') throw new Error(`--identity: expected user, token or admin, got ${JSON.stringify(value)}`);
      args.identity = value;
      continue;
    }
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(value)}`);
    switch (flag) {
      case '--concurrency': args.concurrency = n; break;
      case '--objects': args.objects = n; break;
      case '--seconds': args.seconds = n; break;
      case '--watchers': args.watchers = n; break;
      case '--background-writes': args.backgroundWrites = n; break;
      default: throw new Error(`unknown flag ${JSON.stringify(flag)} (flags: --concurrency N, --objects N, --seconds N, --watchers N, --background-writes N, --identity user|token|admin, --wire grpc,rest)`);
    }
  }
  return args;
}

type PodItem = Pod & KubeObject;
/** Every update writes a value never written before, so none is a no-op (which would not bump the resourceVersion). */
let seq = 0;

function pod(i: number, namespace: string): PodItem {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `bench-${i}`, namespace, labels: { app: 'bench', shard: String(i % 16) } },
    spec: {
      // The same object as before the API server added ServiceAccount token volumes to pods,
      // so figures compare across versions (the volume doubles a pod's size).
      automountServiceAccountToken: false,
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
    },
  };
}

/** Milliseconds at the given quantile of sorted samples. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Figures { verb: string; count: number; seconds: number; p50: number; p99: number; errors: number }

function line(f: Figures, extra = ''): string {
  const rate = f.count / f.seconds;
  return `${f.verb.padEnd(7)} ${String(f.count).padStart(7)} in ${f.seconds.toFixed(1).padStart(5)} s: ${rate.toFixed(0).padStart(6)}/s; p50 ${f.p50.toFixed(1)} ms, p99 ${f.p99.toFixed(1)} ms${f.errors ? `; ${f.errors} errors` : ''}${extra}`;
}

/**
 * Runs `op` from `workers` loops until `stop()` says so; returns the figures. `op(worker, n)`
 * gets the worker's index and its own running count.
 */
async function drive(verb: string, workers: number, stop: (done: number) => boolean, op: (worker: number, n: number) => Promise<void>): Promise<Figures> {
  const samples: number[] = [];
  let done = 0;
  let errors = 0;
  let firstError: unknown;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: workers }, async (_, w) => {
    for (let n = 0; !stop(done); n++) {
      const t0 = process.hrtime.bigint();
      try {
        await op(w, n);
        samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (e) {
        errors++;
        firstError ??= e;
      }
      done++;
    }
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (errors > 0 && samples.length === 0) throw new Error(`${verb}: every request failed: ${String(firstError)}`);
  samples.sort((a, b) => a - b);
  return { verb, count: samples.length, seconds, p50: quantile(samples, 0.5), p99: quantile(samples, 0.99), errors };
}

const forSeconds = (s: number): ((done: number) => boolean) => {
  const end = Date.now() + s * 1000;
  return () => Date.now() >= end;
};

/** The pods of one namespace through one wire format: what the phases measure. */
interface PodApi {
  readonly namespace: string;
  create(p: PodItem): Promise<PodItem>;
  get(name: string): Promise<unknown>;
  delete(name: string): Promise<unknown>;
  update(p: PodItem): Promise<PodItem>;
  /** Every pod, in pages of 500. */
  listAll(): Promise<number>;
  watch(resourceVersion: string): AsyncIterable<{ type: string; object: PodItem }> & { close(): void };
  close(): void;
}

function grpcPods(clients: readonly TugboatClient[], w: number, namespace: string): PodApi {
  const c = clients[w % clients.length]!;
  return {
    namespace,
    create: (p) => c.create(p),
    get: (name) => c.get('pods', namespace, name),
    delete: (name) => c.delete('pods', namespace, name),
    update: (p) => c.update<PodItem>(p),
    listAll: async () => (await c.listAll('pods', { namespace })).items.length,
    watch: (rv) => c.watch<PodItem>('pods', { namespace, resourceVersion: rv }),
    close: () => undefined,
  };
}

function restPods(clients: readonly RestClient[], w: number, namespace: string): PodApi {
  const c = clients[w % clients.length]!;
  const base = `/api/v1/namespaces/${namespace}/pods`;
  return {
    namespace,
    create: (p) => c.call<PodItem>('POST', base, p),
    get: (name) => c.call('GET', `${base}/${name}`),
    delete: (name) => c.call('DELETE', `${base}/${name}`),
    update: (p) => c.call<PodItem>('PUT', `${base}/${p.metadata!.name!}`, p),
    listAll: async () => (await c.listAll<PodItem>(base)).items.length,
    watch: (rv) => c.watch<PodItem>(base, rv),
    close: () => undefined,
  };
}

/** Credentials for `identity`, set up through the admin (RBAC binding, ServiceAccount). */
async function credentialsFor(identity: Identity, server: ApiServerProcess): Promise<Credentials> {
  const pki = server.pki;
  if (identity === 'admin') return pki.credentials();
  const admin = server.client();
  const binding = (subject: Record<string, string>): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `bench-${identity}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [subject],
  });
  if (identity === 'user') {
    await admin.create(binding({ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bench-user' }));
    return pki.credentials(await pki.user('bench-user'));
  }
  await admin.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'bench', namespace: 'default' } });
  await admin.create(binding({ kind: 'ServiceAccount', name: 'bench', namespace: 'default' }));
  const { token } = await admin.createToken('default', 'bench', { expirationSeconds: 3600 });
  return { tls: { ca: pki.ca.certPem }, token };
}

async function watchPhase(api: (w: number) => PodApi, args: Args, pods: PodItem[][]): Promise<string> {
  // Each watcher records when it saw each (name, resourceVersion); writers record when the write returned.
  const written = new Map<string, number>();
  const delays: number[] = [];
  let delivered = 0;
  let lastDelivery = 0;
  const watchErrors: string[] = [];
  const from = pods.flat().reduce((m, p) => Math.max(m, Number(p.metadata?.resourceVersion ?? 0)), 0).toString();
  const watches = Array.from({ length: args.watchers }, (_, i) => api(i).watch(from));
  const readers = watches.map(async (w) => {
    try {
      for await (const ev of w) {
        if (ev.type !== 'MODIFIED') continue;
        const at = performance.now();
        delivered++;
        lastDelivery = at;
        const key = `${ev.object.metadata?.name}@${ev.object.metadata?.resourceVersion}`;
        const sent = written.get(key);
        if (sent !== undefined) delays.push(at - sent);
      }
    } catch (e) { watchErrors.push(e instanceof Error ? e.message : String(e)); }
  });
  // Let the watches establish before writing.
  await new Promise((r) => setTimeout(r, 1000));
  const writers = Math.min(args.concurrency, 16);
  const writeStart = performance.now();
  const f = await drive('update', writers, forSeconds(args.seconds), async (w, n) => {
    const mine = pods[w % pods.length]!;
    const i = n % mine.length;
    const updated = await api(w).update({ ...mine[i]!, metadata: { ...mine[i]!.metadata, labels: { ...mine[i]!.metadata?.labels, round: String(seq++) } } });
    written.set(`${updated.metadata?.name}@${updated.metadata?.resourceVersion}`, performance.now());
    mine[i] = updated;
  });
  // Drain: until every event arrived, or nothing more came for 5 s.
  const expected = f.count * args.watchers;
  for (let seen = -1, idle = 0; delivered < expected && idle < 50;) {
    idle = delivered === seen ? idle + 1 : 0;
    seen = delivered;
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const w of watches) w.close();
  await Promise.all(readers);
  delays.sort((a, b) => a - b);
  if (watchErrors.length) process.stdout.write(`watch: ${watchErrors.length} watches ended early: ${watchErrors[0]}\n`);
  // A watch may be cut off (it would then have said so above); it must never skip events silently.
  if (delivered < expected && watchErrors.length === 0) throw new Error(`watch: ${expected - delivered} of ${expected} events never arrived, and no watch ended with an error`);
  const spanSeconds = (lastDelivery - writeStart) / 1000;
  return `watch   ${String(args.watchers).padStart(7)} watchers, ${f.count} writes (${(f.count / f.seconds).toFixed(0)}/s from ${writers} writers): ${delivered} of ${expected} events delivered, ${(delivered / spanSeconds).toFixed(0)} events/s; write → receipt p50 ${quantile(delays, 0.5).toFixed(1)} ms, p99 ${quantile(delays, 0.99).toFixed(1)} ms`;
}

const MUTATE_CLIENTS = 4;
const BACKGROUND_MAX_IN_FLIGHT = 256;

/**
 * Mutating calls on a busy server: MUTATE_CLIENTS clients create, update and delete pods of
 * their own, one call at a time, while updates of the `background` pods are started at
 * `args.backgroundWrites` a second. Returns the report line and the mutating p99 (ms).
 */
async function mutatePhase(api: (w: number) => PodApi, args: Args, namespace: string, background: PodItem[]): Promise<{ text: string; p99: number }> {
  let stopped = false;
  let started = 0;
  let done = 0;
  let inFlight = 0;
  let bgErrors = 0;
  let behind = 0;
  const bgStart = performance.now();
  // Paced from the clock, not from answers: a slow server gets the same offered load, up to
  // BACKGROUND_MAX_IN_FLIGHT waiting (then the shortfall is counted and said).
  const pacer = (async () => {
    while (!stopped) {
      const due = Math.floor(((performance.now() - bgStart) / 1000) * args.backgroundWrites);
      for (; started < due; started++) {
        if (inFlight >= BACKGROUND_MAX_IN_FLIGHT) { behind++; continue; }
        const i = started % background.length;
        const p = background[i]!;
        inFlight++;
        void api(i).update({ ...p, metadata: { ...p.metadata, labels: { ...p.metadata?.labels, round: String(seq++) } } })
          .then((u) => { background[i] = u; done++; }, () => { bgErrors++; })
          .finally(() => { inFlight--; });
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  // Let the background reach its pace first.
  await new Promise((r) => setTimeout(r, 2000));
  const measuredFrom = done;
  const measureStart = performance.now();
  const byVerb = new Map<string, number[]>([['create', []], ['update', []], ['delete', []]]);
  const timed = async <T>(verb: string, call: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const out = await call();
    byVerb.get(verb)!.push(performance.now() - t0);
    return out;
  };
  let fgErrors = 0;
  let n = 0;
  const end = Date.now() + args.seconds * 1000;
  await Promise.all(Array.from({ length: MUTATE_CLIENTS }, async (_, w) => {
    const c = api(10_000 + w);
    while (Date.now() < end) {
      const name = `mutate-${w}-${n++}`;
      try {
        const created = await timed('create', () => c.create({ ...pod(0, namespace), metadata: { name, namespace, labels: { app: 'mutate' } } }));
        await timed('update', () => c.update({ ...created, metadata: { ...created.metadata, labels: { app: 'mutate', round: String(seq++) } } }));
        await timed('delete', () => c.delete(name));
      } catch { fgErrors++; }
    }
  }));
  const bgRate = (done - measuredFrom) / ((performance.now() - measureStart) / 1000);
  stopped = true;
  await pacer;
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 10));
  const all = [...byVerb.values()].flat().sort((a, b) => a - b);
  const per = [...byVerb].map(([verb, xs]) => { xs.sort((a, b) => a - b); return `${verb} p50 ${quantile(xs, 0.5).toFixed(1)}, p99 ${quantile(xs, 0.99).toFixed(1)}`; }).join('; ');
  const p99 = quantile(all, 0.99);
  const shortfall = behind ? `; ${behind} background writes not started (${BACKGROUND_MAX_IN_FLIGHT} already waiting)` : '';
  const errors = bgErrors + fgErrors ? `; errors: ${bgErrors} background, ${fgErrors} foreground` : '';
  return {
    text: `mutate  ${String(all.length).padStart(7)} calls from ${MUTATE_CLIENTS} clients while ${bgRate.toFixed(0)} background writes/s ran (asked ${args.backgroundWrites}/s): mutating p50 ${quantile(all, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (${per} ms)${shortfall}${errors}`,
    p99,
  };
}

/** create, get, update, list and watch through one wire format; the rates for the summary. */
async function runPhases(api: (w: number) => PodApi, args: Args, namespace: string): Promise<{ create: string; get: string; update: string; list: string; mutateP99: string }> {
  // Workers own disjoint pods: worker w creates (and later updates) pods w, w+C, w+2C, …
  const owned: PodItem[][] = Array.from({ length: args.concurrency }, () => []);
  let next = 0;
  const create = await drive('create', args.concurrency, () => next >= args.objects, async (w) => {
    const i = next++;
    if (i >= args.objects) return;
    owned[w]!.push(await api(w).create(pod(i, namespace)));
  });
  process.stdout.write(`${line(create)}\n`);

  const all = owned.flat();
  const get = await drive('get', args.concurrency, forSeconds(args.seconds), async (w) => {
    const p = all[Math.floor(Math.random() * all.length)]!;
    await api(w).get(p.metadata!.name!);
  });
  process.stdout.write(`${line(get)}\n`);

  const update = await drive('update', args.concurrency, forSeconds(args.seconds), async (w, n) => {
    const mine = owned[w]!;
    if (mine.length === 0) return;
    const i = n % mine.length;
    mine[i] = await api(w).update({ ...mine[i]!, metadata: { ...mine[i]!.metadata, labels: { ...mine[i]!.metadata?.labels, round: String(seq++) } } });
  });
  process.stdout.write(`${line(update)}\n`);

  const listWorkers = Math.max(1, Math.min(8, args.concurrency));
  const list = await drive('list', listWorkers, forSeconds(args.seconds), async (w) => {
    const count = await api(w).listAll();
    if (count !== all.length) throw new Error(`list returned ${count} pods, expected ${all.length}`);
  });
  process.stdout.write(`${line(list, ` (${all.length} pods each, ${listWorkers} in flight)`)}\n`);

  process.stdout.write(`${await watchPhase(api, args, owned.filter((o) => o.length > 0))}\n`);
  // The pods as the update and watch phases left them (their latest resourceVersions).
  const mutate = await mutatePhase(api, args, namespace, owned.flat());
  process.stdout.write(`${mutate.text}\n`);
  const rate = (f: Figures, digits = 0): string => (f.count / f.seconds).toFixed(digits);
  return { create: rate(create), get: rate(get), update: rate(update), list: rate(list, 1), mutateP99: mutate.p99.toFixed(1) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!etcdAvailable()) throw new Error('etcd is not installed (apt-get install etcd-server)');
  const cpus = os.cpus();
  process.stdout.write(`machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}\n`);
  process.stdout.write(`settings: concurrency ${args.concurrency}, ${args.objects} pods, ${args.seconds} s per timed phase, ${args.watchers} watchers\n`);
  let etcd: EtcdHandle | undefined;
  let server: ApiServerProcess | undefined;
  try {
    etcd = await startEtcd();
    server = await startApiServerProcess(etcd.endpoint);
    process.stdout.write(`server: tugboat-apiserver pid ${server.process.pid} on ${server.address} (TLS); etcd ${etcd.endpoint}; requests as ${args.identity}\n`);
    const creds = await credentialsFor(args.identity, server);
    const admin = server.client();
    const summary: string[] = [];
    for (const wire of args.wires) {
      const namespace = `bench-${wire}`;
      await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      // One connection per 16 workers, as a fleet of clients would open them (watchers share them).
      const n = Math.max(1, Math.ceil(args.concurrency / 16));
      const grpcClients = wire === 'grpc' ? Array.from({ length: n }, () => server!.client(creds)) : [];
      const restClients = wire === 'rest' ? Array.from({ length: n }, () => new RestClient(server!.address, creds, 16)) : [];
      const api = (w: number): PodApi => (wire === 'grpc' ? grpcPods(grpcClients, w, namespace) : restPods(restClients, w, namespace));
      process.stdout.write(`--- ${wire}\n`);
      const figures = await runPhases(api, args, namespace);
      summary.push(`${wire} create ${figures.create}/s, get ${figures.get}/s, update ${figures.update}/s, list ${figures.list}/s, mutating p99 ${figures.mutateP99} ms under ${args.backgroundWrites} writes/s`);
      for (const c of restClients) c.close();
    }
    process.stdout.write(`api: ${summary.join('; ')} at concurrency ${args.concurrency}\n`);
  } finally {
    await server?.stop().catch(() => undefined);
    await etcd?.destroy().catch(() => undefined);
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  process.stderr.write(`bench:api: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
