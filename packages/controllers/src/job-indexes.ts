// Completion indexes of Indexed Jobs (Kubernetes' indexed_job_utils.go), pure: the interval
// text of status.completedIndexes ("0-2,4"), a pod's index, and which indexes to start next.
import type { Pod } from '@tugboat/api';

export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
/** The same index as a label (Kubernetes 1.28+), so pods of one index can be selected. */
export const JOB_COMPLETION_INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

/** Inclusive, sorted, non-overlapping, non-adjacent intervals. */
export interface Interval { first: number; last: number }

/**
 * "0-2,4" → [{0,2},{4,4}], keeping only indexes below `completions` (a malformed part is
 * skipped, as Kubernetes does, rather than losing the whole record).
 */
export function parseIndexes(text: string | undefined, completions: number): Interval[] {
  const indexes: number[] = [];
  for (const part of (text ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    for (let i = first; i <= Math.min(last, completions - 1); i++) indexes.push(i);
  }
  return toIntervals(indexes);
}

/** Any indexes, in any order, with repeats → intervals. */
export function toIntervals(indexes: Iterable<number>): Interval[] {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && last.last + 1 === i) last.last = i;
    else out.push({ first: i, last: i });
  }
  return out;
}

/** [{0,2},{4,4}] → "0-2,4"; neighbours join too: "5-6", as Kubernetes writes it. */
export function formatIndexes(intervals: readonly Interval[]): string {
  return intervals.map((iv) => (iv.first === iv.last ? `${iv.first}` : `${iv.first}-${iv.last}`)).join(',');
}

export function countIndexes(intervals: readonly Interval[]): number {
  return intervals.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
}

export function hasIndex(intervals: readonly Interval[], i: number): boolean {
  return intervals.some((iv) => iv.first <= i && i <= iv.last);
}

export function withIndexes(intervals: readonly Interval[], added: Iterable<number>): Interval[] {
  const all: number[] = [...added];
  for (const iv of intervals) for (let i = iv.first; i <= iv.last; i++) all.push(i);
  return toIntervals(all);
}

/** The pod's completion index from its annotation; undefined when absent or not a number. */
export function completionIndex(pod: Pod): number | undefined {
  const v = pod.metadata?.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/**
 * The lowest `count` indexes below `completions` that have neither succeeded nor a pod
 * running: what an Indexed Job starts next.
 */
export function firstPendingIndexes(activeIndexes: Iterable<number>, succeeded: readonly Interval[], count: number, completions: number): number[] {
  const active = new Set(activeIndexes);
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) {
    if (!active.has(i) && !hasIndex(succeeded, i)) out.push(i);
  }
  return out;
}

/**
 * Active pods an Indexed Job should delete: those without a valid index, those whose index
 * already succeeded, and all but one pod of an index (the one kept is the first given).
 */
export function duplicateOrStalePods<P extends Pod>(active: readonly P[], succeeded: readonly Interval[], completions: number): P[] {
  const seen = new Set<number>();
  const out: P[] = [];
  for (const p of active) {
    const i = completionIndex(p);
    if (i === undefined || i >= completions || hasIndex(succeeded, i) || seen.has(i)) out.push(p);
    else seen.add(i);
  }
  return out;
}
