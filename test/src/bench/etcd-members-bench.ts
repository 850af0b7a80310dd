// etcd member failure benchmark (issue 12): SIGKILL of one member of a 3-member etcd while the
// API takes a steady stream of compare-and-swap writes.
//
//   npm run bench:etcd-members -- [--rate 200] [--writers 16] [--phase 5s]
//
// `tctl cluster up --etcd-members 3 --nodes 0` (as a user would). `--writers` writers, each on a
// ConfigMap counter of its own, do read-increment-update through the API (the update carries
// the resourceVersion read, so it is a compare-and-swap), paced so that together they offer
// `--rate` updates a second. Each phase lasts `--phase`: steady; a follower SIGKILLed; the
// follower back (`cluster up` restarts it); the leader SIGKILLed; the leader back; steady.
// A watch per counter records every value it ever held; afterwards each writer's acknowledged
// values must be in that history in order, with no gap and no duplicate.
//
// Prints, per fault, the failed writes and the longest time any writer went without an
// acknowledgement, then the totals. Exits 1 when a write failed, was lost or duplicated (the
// issue's acceptance: 0 failed writes after the storage layer's ≤ 2 s retry window, 0 lost).
import os from 'node:os';
import { parseDuration, sleep, type TugboatClient } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { checkCounter, counterHistory, counterWriter, killComponent, leaderName, restartDead, windowFigures, type ConfigMap, type WriterReport } from '../e2e/fault-load.js';

interface Args { rate: number; writers: number; phaseMs: number }

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { rate: 200, writers: 16, phaseMs: 5_000 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    switch (flag) {
      case '--rate': args.rate = positive(flag, value); break;
      case '--writers': args.writers = positive(flag, value); break;
      case '--phase': args.phaseMs = parseDuration(value ?? '', '--phase'); break;
      default: throw new Error(`unknown flag ${JSON.stringify(flag)} (flags: --rate N, --writers N, --phase DURATION)`);
    }
  }
  return args;
}

function positive(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

interface Fault { label: string; from: number; to: number }

async function run(cluster: LocalClusterHandle, args: Args): Promise<boolean> {
  const client: TugboatClient = cluster.client();
  const names = Array.from({ length: args.writers }, (_v, i) => `counter-${i + 1}`);
  const starts = await Promise.all(names.map((name) => client.create<ConfigMap>({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { counter: '0' } })));
  const histories = names.map((name, i) => counterHistory(client, name, starts[i]!.metadata!.resourceVersion!));
  const intervalMs = (args.writers / args.rate) * 1000;
  const writers = names.map((name) => counterWriter(client, name, 0, intervalMs));
  const faults: Fault[] = [];
  let reports: WriterReport[];
  try {
    await sleep(args.phaseMs);
    const components = await cluster.components();
    const leader = leaderName(cluster, components);
    const follower = ['etcd', 'etcd-2', 'etcd-3'].find((n) => n !== leader)!;
    for (const [victim, role] of [[follower, 'a follower'], [undefined, 'the leader']] as const) {
      const name = victim ?? leaderName(cluster, await cluster.components());
      const from = Date.now();
      await killComponent(cluster, name);
      await sleep(args.phaseMs);
      const back = Date.now();
      await restartDead(cluster);
      const restarted = Date.now();
      await sleep(args.phaseMs);
      faults.push({ label: `${name} (${role}) SIGKILLed, down ${((back - from) / 1000).toFixed(1)} s, \`cluster up\` restart ${((restarted - back) / 1000).toFixed(1)} s`, from, to: Date.now() });
    }
  } finally {
    reports = await Promise.all(writers.map((w) => w.stop()));
  }
  await sleep(1_000);
  const seen = await Promise.all(histories.map((h) => h.stop()));
  client.close();

  for (const f of faults) {
    const per = reports.map((r) => windowFigures(r, f.from, f.to));
    const failed = per.reduce((n, x) => n + x.failures, 0);
    const gap = Math.max(...per.map((x) => x.longestGapMs));
    const acked = reports.reduce((n, r) => n + r.ackTimes.filter((t) => t >= f.from && t <= f.to).length, 0);
    console.log(`  ${f.label}: ${acked} writes acknowledged (${(acked / ((f.to - f.from) / 1000)).toFixed(0)}/s), ${failed} failed, longest time a writer went without an acknowledgement ${gap} ms`);
  }
  const acked = reports.reduce((n, r) => n + r.acked.length, 0);
  const elapsed = Math.max(...reports.map((r) => r.elapsedMs)) / 1000;
  const failures = reports.flatMap((r) => r.failures);
  let lost = 0;
  let duplicates = 0;
  let gaps = 0;
  for (const [i, r] of reports.entries()) {
    const v = checkCounter(r.acked, seen[i]!.values);
    lost += v.lost.length;
    duplicates += v.duplicates.length;
    gaps += v.gaps.length + v.outOfOrder.length;
  }
  const longest = Math.max(...reports.map((r) => r.longestMs));
  for (const f of [...new Set(failures)].slice(0, 5)) console.log(`  failure: ${f}`);
  console.log(`etcd-members: ${acked} writes acknowledged in ${elapsed.toFixed(1)} s (${(acked / elapsed).toFixed(0)}/s offered ${args.rate}/s by ${args.writers} writers), ${failures.length} failed, ${lost} lost, ${duplicates} duplicates, ${gaps} gaps; longest write (retries inside the API server included) ${longest} ms`);
  return failures.length === 0 && lost === 0 && duplicates === 0 && gaps === 0;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}`);
  console.log(`cluster: tctl cluster up --etcd-members 3 --nodes 0; ${args.writers} CAS writers offering ${args.rate} updates/s; phases of ${args.phaseMs / 1000} s`);
  const cluster = await startLocalCluster({ nodes: 0, args: ['--etcd-members', '3'] });
  try {
    return (await run(cluster, args)) ? 0 : 1;
  } finally {
    await cluster.destroy();
  }
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`bench:etcd-members: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
