// One probe of one container instance as a state machine (kubelet's prober worker, minus the
// goroutine): when it runs next, and how a run's outcome moves the published result through
// the thresholds. Pure — every time is an argument — so it is tested without sleeping.
//
//   readiness  starts failure ─ successThreshold successes in a row ─▶ success
//                             ◀─ failureThreshold failures in a row ──
//   liveness   starts success ─ failureThreshold failures ─▶ failure: kill, hold
//   startup    starts unknown ─ 1 success ─▶ success: done (liveness/readiness may run)
//                             ─ failureThreshold failures ─▶ failure: kill, hold
//
// A new container instance (a restart) gets a fresh state; a held probe never runs again.
import type { ProbeTiming } from './probe-target.js';
import type { ProbeKind, ProbeOutcome, ProbeResult } from './probe-types.js';

export interface ProbeState {
  kind: ProbeKind;
  /** The published verdict. */
  result: ProbeResult;
  /** The outcome of the latest run and how many runs in a row had it. */
  lastOutcome?: 'success' | 'failure';
  run: number;
  /** A liveness or startup failure was published: the container is to be killed, not probed again. */
  onHold: boolean;
  /** When the latest run started (ms). */
  lastProbeAt?: number;
}

export interface Transition {
  state: ProbeState;
  /** The published result changed. */
  changed: boolean;
  /** The container must be killed (and restarted as its restart policy says). */
  kill: boolean;
}

export function initialResult(kind: ProbeKind): ProbeResult {
  switch (kind) {
    case 'readiness': return 'failure';
    case 'liveness': return 'success';
    case 'startup': return 'unknown';
  }
}

/** A fresh state; `carried` is a verdict known from before (an agent restart adopting the container). */
export function initialState(kind: ProbeKind, carried?: ProbeResult): ProbeState {
  return { kind, result: carried ?? initialResult(kind), run: 0, onHold: false };
}

/** When the probe runs next (ms), or undefined when it never runs again. */
export function nextProbeAt(s: ProbeState, timing: ProbeTiming, startedAt: number): number | undefined {
  if (s.onHold) return undefined;
  if (s.kind === 'startup' && s.result === 'success') return undefined;
  const earliest = startedAt + timing.initialDelayMs;
  return s.lastProbeAt === undefined ? earliest : Math.max(earliest, s.lastProbeAt + timing.periodMs);
}

/** A run started at `at` had `outcome`: the next state (thresholds applied). */
export function recordOutcome(s: ProbeState, timing: ProbeTiming, outcome: ProbeOutcome['result'], at: number): Transition {
  const o: 'success' | 'failure' = outcome === 'success' || outcome === 'warning' ? 'success' : 'failure';
  const run = s.lastOutcome === o ? s.run + 1 : 1;
  const next: ProbeState = { ...s, lastOutcome: o, run, lastProbeAt: at };
  const threshold = o === 'success' ? timing.successThreshold : timing.failureThreshold;
  if (run < threshold) return { state: next, changed: false, kill: false };
  const changed = next.result !== o;
  next.result = o;
  if (o === 'failure' && (s.kind === 'liveness' || s.kind === 'startup')) {
    next.onHold = true;
    next.run = 0;
    return { state: next, changed, kill: true };
  }
  return { state: next, changed, kill: false };
}
