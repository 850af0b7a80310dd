// tugboat-scheduler: places pending pods on the least-loaded node that fits.
//   tugboat-scheduler --kubeconfig FILE [--server ADDR] [--config FILE] [--http-listen HOST:PORT]
//                     [--leader-elect=true|false] [--id ID]
import { TugboatClient, boundHeapGrowthOrExit, componentClientConfig, serveComponentHttp, type ClientConfig } from '@tugboat/api';
import { DEFAULT_CONFIG, loadConfig } from './config.js';
import { SchedulerMetrics } from './metrics.js';
import { Scheduler } from './scheduler.js';
import { USAGE, parseFlags, type Flags } from './flags.js';

async function main(): Promise<void> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tugboat-scheduler: ${e instanceof Error ? e.message : String(e)} (see --help)\n`);
    process.exit(2);
  }
  if (flags === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  boundHeapGrowthOrExit('tugboat-scheduler');
  let config = DEFAULT_CONFIG;
  try {
    if (flags.config) config = loadConfig(flags.config);
  } catch (e) {
    process.stderr.write(`tugboat-scheduler: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }

  let conn: ClientConfig;
  try {
    conn = componentClientConfig({ kubeconfig: flags.kubeconfig, server: flags.server });
  } catch (e) {
    process.stderr.write(`tugboat-scheduler: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const client = new TugboatClient(conn.server, { timeoutMs: 30_000, credentials: conn.credentials });
  const metrics = new SchedulerMetrics({ profile: config.profile.schedulerName });
  let scheduler: Scheduler;
  try {
    scheduler = new Scheduler({ client, config, metrics, leaderElect: flags.leaderElect, identity: flags.id });
  } catch (e) {
    // A profile naming an unknown plugin, say.
    process.stderr.write(`tugboat-scheduler: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  const http = await serveComponentHttp({ listen: flags.httpListen, metrics: metrics.registry }).catch((e: unknown) => {
    process.stderr.write(`tugboat-scheduler: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
  console.error(`tugboat-scheduler: ${flags.id} serving /metrics and /healthz on ${http.address}; API server ${conn.server}`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.error(`tugboat-scheduler: ${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void scheduler.stop()
      .catch((e: unknown) => console.error(`tugboat-scheduler: stop: ${e instanceof Error ? e.message : String(e)}`))
      .then(() => http.close())
      .then(() => { client.close(); process.exit(0); });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await scheduler.start();
}

void main();
