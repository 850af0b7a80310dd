// What a benchmark on a local cluster with hollow nodes starts, and its teardown: always, on
// success, on an error and on Ctrl-C, so no cluster, etcd or agent outlives the run.
// Shared by bench:density and bench:console.
import type { LocalClusterHandle } from './cluster.js';
import type { HollowAgents } from './hollow.js';

export class BenchRun {
  cluster?: LocalClusterHandle;
  /** Set while `cluster up` runs, so an interrupt during it still tears the cluster down. */
  starting?: Promise<LocalClusterHandle>;
  agents?: HollowAgents;
  /** Informers, clients, a browser: closed first (the last registered first), before the agents and the cluster. */
  private readonly closers: (() => unknown)[] = [];
  private cleaning: Promise<void> | undefined;

  onCleanup(close: () => unknown): void {
    this.closers.push(close);
  }

  /** Closers, then the hollow agents (so they do not spin against a vanishing API server), then the cluster. Once. */
  cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      for (const close of [...this.closers].reverse()) await Promise.resolve().then(close).catch(() => undefined);
      await this.agents?.stop();
      const cluster = this.cluster ?? await this.starting?.catch(() => undefined);
      await cluster?.destroy();
    })();
    return this.cleaning;
  }
}

/**
 * Runs a benchmark's main and exits with its code after the teardown: 2 (with the message on
 * stderr) when it throws, 130 on SIGINT/SIGTERM.
 */
export function runBench(name: string, run: BenchRun, main: () => Promise<number>): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`${name}: ${signal}: tearing down the cluster and the hollow agents\n`);
      void run.cleanup().finally(() => process.exit(130));
    });
  }
  main().then(async (code) => {
    if (interrupted) return;
    await run.cleanup();
    process.exit(code);
  }, async (e: unknown) => {
    if (interrupted) return;
    process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    await run.cleanup().catch(() => undefined);
    process.exit(2);
  });
}
