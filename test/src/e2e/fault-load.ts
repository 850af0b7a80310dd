// The load that fault tests run under (issue 12), and the checks made afterwards:
//
//   counterWriter ── get, +1, update carrying the resourceVersion read (compare-and-swap) ──▶ API
//        │ every acknowledged value, every failure, the longest write
//   counterHistory ◀── watch of the ConfigMap, resumed from its last resourceVersion ── API
//        │ every value the counter ever held, in the order etcd stored them
//   checkCounter: acknowledged ⊆ history, history = 1, 2, 3 … with no gap or duplicate
//
// A write whose answer was lost (the API server died with it in flight) may or may not have
// happened: it is not acknowledged, and the history says which. Only an acknowledged value
// missing from the history is lost; a value stored twice is a lost update.
import { readFileSync } from 'node:fs';
import { ApiError, sleep, type KubeObject, type TugboatClient } from '@tugboat/api';
import type { ClusterComponent, LocalClusterHandle } from '../harness/cluster.js';
import { eventually } from './helpers.js';

export type ConfigMap = KubeObject & { data?: Record<string, string> };


export interface WriterReport {
  /** Every value an update was acknowledged for, in the order of the acknowledgements. */
  acked: number[];
  /** One line per failed increment (a read or a write that did not succeed). */
  failures: string[];
  /** The longest increment (read and write, retries inside the API server included), ms. */
  longestMs: number;
  /** The longest time without an acknowledgement (the writer's unavailability), ms. */
  longestGapMs: number;
  /** When it ran, for the rate. */
  elapsedMs: number;
  /** When each acknowledgement and each failure came (Date.now()), for figures per fault. */
  ackTimes: number[];
  failureTimes: number[];
}

/**
 * Failed increments and the longest time without an acknowledgement between `from` and `to`
 * (a fault and its recovery), counting from the last acknowledgement before `from`. Pure.
 */
export function windowFigures(report: Pick<WriterReport, 'ackTimes' | 'failureTimes'>, from: number, to: number): { failures: number; longestGapMs: number } {
  const failures = report.failureTimes.filter((t) => t >= from && t <= to).length;
  let previous = [...report.ackTimes].reverse().find((t) => t < from) ?? from;
  let longestGapMs = 0;
  for (const t of report.ackTimes) {
    if (t < from) continue;
    if (t > to) { longestGapMs = Math.max(longestGapMs, t - previous); break; }
    longestGapMs = Math.max(longestGapMs, t - previous);
    previous = t;
  }
  return { failures, longestGapMs };
}

const counterOf = (cm: ConfigMap): number => Number(cm.data?.['counter'] ?? '0');

/**
 * Read-increment-update of `counter` in ConfigMap `name`, as fast as the API answers, or one
 * increment every `intervalMs` when that is set. After a failure it waits
 * `pauseAfterFailureMs` (an API server that is down answers at once).
 */
export function counterWriter(client: TugboatClient, name: string, pauseAfterFailureMs = 0, intervalMs = 0): { stop(): Promise<WriterReport>; current(): WriterReport } {
  const report: WriterReport = { acked: [], failures: [], longestMs: 0, longestGapMs: 0, elapsedMs: 0, ackTimes: [], failureTimes: [] };
  const began = Date.now();
  let lastAck = began;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      let failed = false;
      try {
        const cm = await client.get<ConfigMap>('configmaps', 'default', name);
        const next = counterOf(cm) + 1;
        await client.update<ConfigMap>({ ...cm, data: { counter: String(next) } });
        report.acked.push(next);
        report.ackTimes.push(Date.now());
        report.longestGapMs = Math.max(report.longestGapMs, Date.now() - lastAck);
        lastAck = Date.now();
      } catch (e) {
        failed = true;
        report.failureTimes.push(Date.now());
        report.failures.push(e instanceof ApiError ? `${e.reason}: ${e.message}` : String(e));
      }
      report.longestMs = Math.max(report.longestMs, Date.now() - started);
      if (failed && pauseAfterFailureMs > 0) await sleep(pauseAfterFailureMs);
      // Paced (a benchmark's target rate): the next increment starts intervalMs after this one did.
      const wait = started + intervalMs - Date.now();
      if (wait > 0 && !stopped) await sleep(wait);
    }
  })();
  return {
    stop: async () => { stopped = true; await loop; report.elapsedMs = Date.now() - began; return report; },
    /** The report so far (live: it keeps growing). */
    current: () => report,
  };
}

export interface HistoryReport {
  /** Every counter value seen, in the order the watch delivered them. */
  values: number[];
  /** How many times the watch ended and was resumed from its last resourceVersion. */
  resumed: number;
  /** Resumptions the server refused as expired (compacted past): a relist would be needed. */
  expired: number;
}

/**
 * Every value ConfigMap `name` holds, from a watch that starts at `resourceVersion` and, when
 * the stream ends (an API server killed), is opened again from the last resourceVersion it
 * delivered, as client-go's reflector does: the history has no hole only if resumption works.
 */
export function counterHistory(client: TugboatClient, name: string, resourceVersion: string): { stop(): Promise<HistoryReport> } {
  const report: HistoryReport = { values: [], resumed: 0, expired: 0 };
  let rv = resourceVersion;
  let stopped = false;
  let current: { close(): void } | undefined;
  const loop = (async () => {
    while (!stopped) {
      const w = client.watch<ConfigMap>('configmaps', { namespace: 'default', fieldSelector: `metadata.name=${name}`, resourceVersion: rv, allowBookmarks: true });
      current = w;
      try {
        for await (const ev of w) {
          if (ev.object.metadata?.resourceVersion) rv = ev.object.metadata.resourceVersion;
          if (ev.type === 'ADDED' || ev.type === 'MODIFIED') report.values.push(counterOf(ev.object));
        }
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Expired') report.expired++;
      }
      if (stopped) break;
      report.resumed++;
      await sleep(100);
    }
  })();
  return {
    stop: async () => { stopped = true; current?.close(); await loop; return report; },
  };
}

export interface CounterVerdict {
  /** Acknowledged values the history lacks. */
  lost: number[];
  /** Values the history holds more than once, or acknowledged more than once. */
  duplicates: number[];
  /** Where the history skips: [after, next]. */
  gaps: [number, number][];
  /** Acknowledgements out of order: [earlier, later]. */
  outOfOrder: [number, number][];
  /** Written but never acknowledged (the answer was lost): neither lost nor a gap. */
  indeterminate: number;
}

/** The checks of the counter: pure, over what the writer acknowledged and what the watch saw. */
export function checkCounter(acked: readonly number[], history: readonly number[], start = 0): CounterVerdict {
  const verdict: CounterVerdict = { lost: [], duplicates: [], gaps: [], outOfOrder: [], indeterminate: 0 };
  const seen = new Set<number>();
  let prev = start;
  for (const v of history) {
    if (seen.has(v)) verdict.duplicates.push(v);
    else if (v !== prev + 1) verdict.gaps.push([prev, v]);
    seen.add(v);
    prev = Math.max(prev, v);
  }
  const ackedSeen = new Set<number>();
  for (let i = 0; i < acked.length; i++) {
    const v = acked[i]!;
    if (ackedSeen.has(v)) verdict.duplicates.push(v);
    ackedSeen.add(v);
    if (!seen.has(v)) verdict.lost.push(v);
    if (i > 0 && acked[i - 1]! >= v) verdict.outOfOrder.push([acked[i - 1]!, v]);
  }
  verdict.indeterminate = [...seen].filter((v) => !ackedSeen.has(v)).length;
  return verdict;
}

export function etcdMembers(components: readonly ClusterComponent[]): ClusterComponent[] {
  return components.filter((c) => c.role === 'etcd');
}

/** SIGKILL a component found by name, and wait until its process is gone (not reaped: it is not our child). */
export async function killComponent(cluster: LocalClusterHandle, name: string): Promise<void> {
  const c = (await cluster.components()).find((x) => x.name === name);
  if (!c) throw new Error(`no component ${name}`);
  process.kill(c.pid, 'SIGKILL');
  await eventually(`${name} to be gone`, async () => !isAlive(c.pid), 10_000, 20);
}

/** Whether a pid is a live process (a zombie is not), read from /proc: no tctl per poll. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The member etcd follows as leader, asked through etcdctl over the cluster's TLS. */
export function leaderName(cluster: LocalClusterHandle, components: readonly ClusterComponent[]): string {
  const members = etcdMembers(components);
  const endpoints = members.filter((m) => m.state === 'running').map((m) => `https://${m.addresses['client']}`).join(',');
  const out = JSON.parse(cluster.etcdctl('--endpoints', endpoints, 'endpoint', 'status', '-w', 'json')) as { Endpoint: string; Status: { header: { member_id: number }; leader: number } }[];
  const leader = out.find((s) => s.Status.header.member_id === s.Status.leader);
  const m = members.find((c) => leader && `https://${c.addresses['client']}` === leader.Endpoint);
  if (!m) throw new Error(`no leader among ${endpoints}`);
  return m.name;
}

/** `tctl cluster up` on a running cluster: starts again, with their arguments, the components that died. */
export async function restartDead(cluster: LocalClusterHandle): Promise<void> {
  const up = await cluster.tctl(['cluster', 'up'], undefined, 120_000);
  if (up.code !== 0) throw new Error(`cluster up (restart) failed: ${up.stderr || up.stdout}`);
}
