import test from 'ava';
import { initialState, nextProbeAt, recordOutcome, type ProbeState } from './probe-state.js';
import type { ProbeTiming } from './probe-target.js';
import type { ProbeOutcome } from './probe-types.js';

const timing = (over: Partial<ProbeTiming> = {}): ProbeTiming => ({
  initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3, ...over,
});

/** Runs outcomes one period apart from t=0; returns each step's published result and flags. */
function drive(s0: ProbeState, t: ProbeTiming, outcomes: ProbeOutcome['result'][]): { state: ProbeState; steps: string[] } {
  let s = s0;
  const steps: string[] = [];
  for (const [i, o] of outcomes.entries()) {
    const tr = recordOutcome(s, t, o, i * t.periodMs);
    s = tr.state;
    steps.push(`${s.result}${tr.changed ? '*' : ''}${tr.kill ? '!' : ''}`);
  }
  return { state: s, steps };
}

test('initial results: readiness failure, liveness success, startup unknown; carried results win', (t) => {
  t.is(initialState('readiness').result, 'failure');
  t.is(initialState('liveness').result, 'success');
  t.is(initialState('startup').result, 'unknown');
  t.is(initialState('readiness', 'success').result, 'success');
});

test('readiness: ready after successThreshold successes in a row, unready after failureThreshold failures', (t) => {
  const { steps } = drive(initialState('readiness'), timing({ successThreshold: 2, failureThreshold: 3 }),
    ['success', 'failure', 'success', 'success', 'success', 'failure', 'failure', 'success', 'failure', 'failure', 'failure', 'success']);
  // A failure in between restarts the count; changes are marked *.
  t.deepEqual(steps, ['failure', 'failure', 'failure', 'success*', 'success', 'success', 'success', 'success', 'success', 'success', 'failure*', 'failure']);
});

test('readiness with the defaults: the first success makes it ready; errors count as failures, warnings as successes', (t) => {
  const { steps } = drive(initialState('readiness'), timing(), ['error', 'warning', 'error', 'error', 'failure']);
  t.deepEqual(steps, ['failure', 'success*', 'success', 'success', 'failure*']);
});

test('liveness: failureThreshold failures in a row kill and hold; the hold stops the schedule', (t) => {
  const tm = timing({ failureThreshold: 3 });
  const { state, steps } = drive(initialState('liveness'), tm, ['failure', 'failure', 'success', 'failure', 'failure', 'failure']);
  t.deepEqual(steps, ['success', 'success', 'success', 'success', 'success', 'failure*!']);
  t.true(state.onHold);
  t.is(nextProbeAt(state, tm, 0), undefined);
});

test('liveness with failureThreshold 1 kills on the first failure', (t) => {
  const { steps } = drive(initialState('liveness'), timing({ failureThreshold: 1 }), ['success', 'failure']);
  t.deepEqual(steps, ['success', 'failure*!']);
});

test('startup: one success decides it for good; failureThreshold failures kill', (t) => {
  const tm = timing({ failureThreshold: 2 });
  const passed = drive(initialState('startup'), tm, ['failure', 'success']);
  t.deepEqual(passed.steps, ['unknown', 'success*']);
  t.is(nextProbeAt(passed.state, tm, 0), undefined, 'a passed startup probe never runs again');
  const failed = drive(initialState('startup'), tm, ['failure', 'failure']);
  t.deepEqual(failed.steps, ['unknown', 'failure*!']);
});

test('schedule: first run initialDelay after the start, then every period from the last run', (t) => {
  const tm = timing({ initialDelayMs: 5_000, periodMs: 2_000 });
  const started = 1_000;
  let s = initialState('readiness');
  t.is(nextProbeAt(s, tm, started), 6_000);
  s = recordOutcome(s, tm, 'failure', 6_000).state;
  t.is(nextProbeAt(s, tm, started), 8_000);
  // A run that started late (a slow probe before it) does not shift the period back.
  s = recordOutcome(s, tm, 'success', 9_500).state;
  t.is(nextProbeAt(s, tm, started), 11_500);
  // Never before the initial delay, even with a carried-over run.
  const early = { ...initialState('liveness'), lastProbeAt: 0 };
  t.is(nextProbeAt(early, tm, started), 6_000);
});
