// Several API server processes behind one address (--workers N, issue 15). One Node.js thread
// cannot use a machine's other cores, and the server holds no state of its own beyond caches
// that each process fills from etcd's watch, so N processes serve the same ports:
//
//   primary ── forks N workers (node:cluster, the same argv), owns the listening sockets and
//   │          hands each new connection to the next worker (round robin); serves the HTTP port
//   │          itself: /metrics sums the workers' registries (prom-client's AggregatorRegistry),
//   │          /readyz asks every worker, /healthz says whether all N are alive
//   └─ worker i: a whole API server (server.ts) on the shared TLS port, no HTTP port; worker 0
//               alone runs what must run once (namespace controller, address repair, counts)
//
// A worker that dies is forked again; the primary's SIGTERM stops them all; a worker whose
// primary is gone (SIGKILL) exits rather than serve connections nobody supervises.
import cluster, { type Worker } from 'node:cluster';
import { type AddressInfo } from 'node:net';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { createComponentHttpServer, formatHostPort, parseHostPort } from '@tugboat/api';
import { ListenError, type ApiServer } from './server.js';

/** The environment variable that tells a forked process which worker it is. */
const WORKER_ENV = 'TUGBOAT_APISERVER_WORKER';

type ToPrimary =
  | { type: 'tugboat:serving'; address: string }
  | { type: 'tugboat:ready'; id: number; ok: boolean };
type ToWorker = { type: 'tugboat:ready?'; id: number };

function isMessage<T extends { type: string }>(m: unknown, type: T['type']): m is T {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
}

/** In a forked worker: its index; in the primary or a single process: undefined. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  const n = Number(process.env[WORKER_ENV]);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/**
 * A worker's side, once its server listens: reports its address, answers the primary's
 * readiness questions, offers its metrics registry for aggregation, and exits with its
 * primary.
 */
export function serveAsWorker(server: ApiServer, registry: Registry, stop: (why: string) => void): void {
  // prom-client answers the primary's requests only once an AggregatorRegistry exists here.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  process.on('message', (m: unknown) => {
    if (!isMessage<ToWorker>(m, 'tugboat:ready?')) return;
    server.ready().then((ok) => ok, () => false).then((ok) => {
      if (process.connected) process.send?.({ type: 'tugboat:ready', id: m.id, ok } satisfies ToPrimary);
    });
  });
  process.on('disconnect', () => stop('the primary process is gone'));
  process.send?.({ type: 'tugboat:serving', address: server.address } satisfies ToPrimary);
}

export interface PrimaryOptions {
  workers: number;
  httpListen: string;
  log: (line: string) => void;
}

export interface Primary {
  /** HOST:PORT of the shared TLS (gRPC + REST) port, as the workers bound it. */
  address: string;
  httpAddress: string;
  stop(): Promise<void>;
}

/**
 * Forks the workers and waits until every one serves; rejects with the first worker's
 * failure (it printed its own one line) when one exits before that.
 */
export async function startPrimary(opts: PrimaryOptions): Promise<Primary> {
  const workers = new Map<number, Worker>();
  let stopping = false;
  let readyId = 0;
  const readyAnswers = new Map<number, (ok: boolean) => void>();

  const fork = (index: number): Worker => {
    const w = cluster.fork({ [WORKER_ENV]: String(index) });
    workers.set(index, w);
    w.on('message', (m: unknown) => {
      if (isMessage<Extract<ToPrimary, { type: 'tugboat:ready' }>>(m, 'tugboat:ready')) readyAnswers.get(m.id)?.(m.ok);
    });
    return w;
  };

  const serving = (w: Worker, index: number): Promise<string> => new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      if (!isMessage<Extract<ToPrimary, { type: 'tugboat:serving' }>>(m, 'tugboat:serving')) return;
      w.off('exit', onExit);
      w.off('message', onMessage);
      resolve(m.address);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      w.off('message', onMessage);
      reject(new WorkerStartError(`worker ${index} exited before serving (${signal ?? `code ${code}`})`, code ?? 1));
    };
    w.on('message', onMessage);
    w.once('exit', onExit);
  });

  let address: string;
  try {
    const addresses = await Promise.all(Array.from({ length: opts.workers }, (_, i) => serving(fork(i), i)));
    address = addresses[0]!;
  } catch (e) {
    stopping = true;
    await stopWorkers([...workers.values()]);
    throw e;
  }

  // From here on a worker that dies is replaced: its connections are lost (clients retry on
  // a fresh one), the others go on serving.
  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    const index = [...workers].find(([, x]) => x === w)?.[0];
    if (index === undefined) return;
    opts.log(`worker ${index} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); starting it again`);
    setTimeout(() => { if (!stopping) fork(index); }, 1_000).unref();
  });

  const askReady = (w: Worker): Promise<boolean> => new Promise((resolve) => {
    const id = ++readyId;
    const done = (ok: boolean): void => { clearTimeout(timer); readyAnswers.delete(id); resolve(ok); };
    const timer = setTimeout(() => done(false), 2_000);
    readyAnswers.set(id, done);
    if (!w.isConnected()) return done(false);
    w.send({ type: 'tugboat:ready?', id } satisfies ToWorker);
  });
  const alive = (): Worker[] => [...workers.values()].filter((w) => !w.isDead() && w.isConnected());

  const aggregator = new AggregatorRegistry();
  const http = createComponentHttpServer({
    metrics: { metrics: () => aggregator.clusterMetrics(), contentType: aggregator.contentType },
    healthy: () => alive().length === opts.workers,
    ready: async () => alive().length === opts.workers && (await Promise.all(alive().map(askReady))).every(Boolean),
    notReadyMessage: 'a worker is starting, or etcd is not answering, or the authorization caches and default roles are not loaded yet',
  });
  const { host, port } = parseHostPort(opts.httpListen, '--http-listen');
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', (err: NodeJS.ErrnoException) => reject(new ListenError(`cannot listen on ${formatHostPort({ host, port })} (HTTP): ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)));
      http.listen(port, host, () => resolve());
    });
  } catch (e) {
    stopping = true;
    await stopWorkers([...workers.values()]);
    throw e;
  }
  const httpAddress = formatHostPort({ host, port: (http.address() as AddressInfo).port });

  return {
    address,
    httpAddress,
    stop: async () => {
      stopping = true;
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
      await stopWorkers([...workers.values()]);
    },
  };
}

/** A worker failed to start; `code` is its exit code, for the primary to exit with. */
export class WorkerStartError extends Error {
  override readonly name = 'WorkerStartError';
  constructor(message: string, readonly code: number) { super(message); }
}

/** SIGTERM to every live worker, then waits for all to exit (SIGKILL after 10 s). */
async function stopWorkers(workers: readonly Worker[]): Promise<void> {
  await Promise.all(workers.filter((w) => !w.isDead()).map((w) => new Promise<void>((resolve) => {
    const force = setTimeout(() => { w.process.kill('SIGKILL'); }, 10_000);
    w.once('exit', () => { clearTimeout(force); resolve(); });
    w.process.kill('SIGTERM');
  })));
}
