// tugboat-controllers: parse flags, serve /metrics and /healthz, campaign for the Lease and
// run the controllers while leading; stop cleanly on SIGTERM/SIGINT. A bad flag exits 2, a
// port that cannot be bound exits 1, each with one line on stderr.
import { boundHeapGrowthOrExit } from '@tugboat/api';
import { startControllersApp } from './app.js';
import { parseFlags, USAGE } from './flags.js';

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tugboat-controllers: ${e instanceof Error ? e.message : String(e)} (see --help)\n`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  boundHeapGrowthOrExit('tugboat-controllers');
  const { flags } = parsed;
  let app;
  try {
    app = await startControllersApp(flags);
  } catch (e) {
    process.stderr.write(`tugboat-controllers: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  process.stdout.write(`tugboat-controllers serving HTTP on ${app.httpAddress}, API server ${flags.server || 'from the kubeconfig'}, id ${flags.id}${flags.leaderElect ? '' : ' (leader election off)'}\n`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`tugboat-controllers: ${signal}: shutting down\n`);
    // A stuck shutdown must not keep the process alive forever.
    setTimeout(() => process.exit(1), 10_000).unref();
    app.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
