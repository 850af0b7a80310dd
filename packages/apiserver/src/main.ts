// tugboat-apiserver: parse flags, serve, print one line when serving, stop cleanly on
// SIGTERM/SIGINT. A bad flag exits 2; a port that cannot be bound exits 1; both one line.
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { parseFlags, USAGE } from './flags.js';
import { ListenError, startApiServer } from './server.js';
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
  if (parsed.command === 'reencrypt') {
    const ok = await runReencrypt(parsed.reencrypt,
      (line) => process.stdout.write(`${line}\n`),
      (line) => process.stderr.write(`tugboat-apiserver reencrypt: ${line}\n`));
    process.exit(ok ? 0 : 1);
  }
  let server;
  try {
    server = await startApiServer(parsed.options);
  } catch (e) {
    const msg = e instanceof ListenError || e instanceof Error ? e.message : String(e);
    process.stderr.write(`tugboat-apiserver: ${msg}\n`);
    process.exit(1);
  }
  process.stdout.write(`tugboat-apiserver serving gRPC on ${server.address}, HTTP on ${server.httpAddress}, etcd ${parsed.options.etcdServers.join(',')}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`tugboat-apiserver: ${signal}: shutting down\n`);
    // A stuck shutdown must not keep the process alive forever.
    setTimeout(() => process.exit(1), 10_000).unref();
    server.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
