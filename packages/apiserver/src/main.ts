// tugboat-apiserver: parse flags, serve, print one line when serving, stop cleanly on
// SIGTERM/SIGINT. A bad flag exits 2; a port that cannot be bound exits 1; both one line.
// With --workers N the process is a primary and N forked copies of it (workers.ts).
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { boundHeapGrowthOrExit } from '@tugboat/api';
import { parseFlags, USAGE } from './flags.js';
import cluster from 'node:cluster';
import { DEFAULT_HTTP_LISTEN, ListenError, startApiServer, type ApiServer } from './server.js';
import { serveAsWorker, startPrimary, workerIndex, WorkerStartError, type Primary } from './workers.js';
import { runReencrypt } from './storage/encryption/reencrypt.js';

/**
 * The etcd client (grpc-js under etcd3) puts an etcd member's IP address in TLS SNI
 * (grpc/grpc-node#1919), and Node warns about it once (DEP0123). The certificate is still
 * checked against that IP; the warning is only noise in the log, so this one is dropped.
 */
function dropIpServernameWarning(): void {
  const emit = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const code = typeof rest[1] === 'string' ? rest[1] : (rest[0] as { code?: string } | undefined)?.code;
    if (code === 'DEP0123') return;
    (emit as (w: string | Error, ...r: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

async function main(): Promise<void> {
  // grpc-js would print its own multi-line notices (e.g. on a failed bind); we say it in one.
  setLogVerbosity(logVerbosity.NONE);
  dropIpServernameWarning();
  let parsed;
  try {
    parsed = parseFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tugboat-apiserver: ${e instanceof Error ? e.message : String(e)} (see --help)\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  boundHeapGrowthOrExit('tugboat-apiserver');
  if (parsed.command === 'reencrypt') {
    const ok = await runReencrypt(parsed.reencrypt,
      (line) => process.stdout.write(`${line}\n`),
      (line) => process.stderr.write(`tugboat-apiserver reencrypt: ${line}\n`));
    process.exit(ok ? 0 : 1);
  }
  if (parsed.workers > 1 && cluster.isPrimary) return servePrimary(parsed.workers, parsed.options.httpListen ?? DEFAULT_HTTP_LISTEN, parsed.options.etcdServers);
  const index = workerIndex();
  const options = index === undefined ? parsed.options : { ...parsed.options, worker: { index } };
  let server: ApiServer;
  try {
    server = await startApiServer(options);
  } catch (e) {
    const msg = e instanceof ListenError || e instanceof Error ? e.message : String(e);
    process.stderr.write(`tugboat-apiserver${index === undefined ? '' : ` worker ${index}`}: ${msg}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (why: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`tugboat-apiserver${index === undefined ? '' : ` worker ${index}`}: ${why}: shutting down\n`);
    // A stuck shutdown must not keep the process alive forever.
    setTimeout(() => process.exit(1), 10_000).unref();
    server.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (index !== undefined) {
    serveAsWorker(server, server.metrics.registry, shutdown);
    return;
  }
  process.stdout.write(`tugboat-apiserver serving gRPC on ${server.address}, HTTP on ${server.httpAddress}, etcd ${parsed.options.etcdServers.join(',')}\n`);
}

/** --workers N: forks the workers, serves the HTTP port, and stops them all on a signal. */
async function servePrimary(workers: number, httpListen: string, etcdServers: readonly string[]): Promise<void> {
  const log = (line: string): void => { process.stderr.write(`tugboat-apiserver: ${line}\n`); };
  let primary: Primary;
  try {
    primary = await startPrimary({ workers, httpListen, log });
  } catch (e) {
    // A worker that failed printed its own line (its stderr is ours); say the rest.
    process.stderr.write(`tugboat-apiserver: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(e instanceof WorkerStartError ? e.code || 1 : 1);
  }
  process.stdout.write(`tugboat-apiserver serving gRPC on ${primary.address}, HTTP on ${primary.httpAddress}, etcd ${etcdServers.join(',')}, ${workers} workers\n`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: shutting down ${workers} workers`);
    setTimeout(() => process.exit(1), 15_000).unref();
    primary.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
