// The queue with an injected clock: back-off, parking and moving are checked by moving the
// clock, never by sleeping.
import test from 'ava';
import { FakeClock } from '@tugboat/api';
import { SchedulingQueue } from './queue.js';
import { NOW, makePod } from './test-util.js';

function setup(): { clock: FakeClock; q: SchedulingQueue } {
  const clock = new FakeClock(NOW);
  return { clock, q: new SchedulingQueue({ now: () => clock.now() }) };
}

test('pops by priority, then by the time queued', (t) => {
  const { clock, q } = setup();
  q.add(makePod('low-early', { priority: 0 }));
  clock.advance(1);
  q.add(makePod('high', { priority: 100 }));
  clock.advance(1);
  q.add(makePod('low-late', { priority: 0 }));
  t.deepEqual([q.pop(), q.pop(), q.pop(), q.pop()].map((p) => p?.podInfo.key), ['default/high', 'default/low-early', 'default/low-late', undefined]);
});

test('adding a pod twice keeps one entry with the newer object', (t) => {
  const { q } = setup();
  q.add(makePod('a', { cpu: '1' }));
  q.add(makePod('a', { cpu: '2' }));
  t.is(q.counts().active, 1);
  t.is(q.pop()?.podInfo.requests.cpuMilli, 2000);
});

test('an unschedulable pod is parked until an event moves it, then waits out its back-off', (t) => {
  const { clock, q } = setup();
  q.add(makePod('a'));
  const qp = q.pop()!;
  q.addUnschedulable(qp, q.currentCycle());
  t.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 1, gated: 0 });
  q.flush();
  t.is(q.counts().unschedulable, 1, 'no event, no time: stays parked');

  // A node is added 500 ms later: still within the 1 s back-off of its first attempt.
  clock.advance(500);
  q.moveAllToActiveOrBackoff();
  t.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
  clock.advance(499);
  q.flush();
  t.is(q.pop(), undefined);
  clock.advance(1);
  q.flush();
  t.is(q.pop()?.podInfo.key, 'default/a');
});

test('an event after the back-off is over moves the pod straight to active', (t) => {
  const { clock, q } = setup();
  q.add(makePod('a'));
  q.addUnschedulable(q.pop()!, q.currentCycle());
  clock.advance(5_000);
  q.moveAllToActiveOrBackoff();
  t.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
});

test('back-off doubles per attempt from 1 s up to 10 s', (t) => {
  const { q } = setup();
  q.add(makePod('a'));
  const qp = q.pop()!;
  const durations: number[] = [];
  for (let attempts = 1; attempts <= 6; attempts++) durations.push(q.backoffDuration({ ...qp, attempts }));
  t.deepEqual(durations, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
});

test('an error goes to back-off and comes back when it is over', (t) => {
  const { clock, q } = setup();
  q.add(makePod('a'));
  q.addBackoff(q.pop()!);
  q.flush();
  t.is(q.pop(), undefined);
  clock.advance(1_000);
  q.flush();
  t.is(q.pop()?.attempts, 2);
});

test('a pod parked for 60 s is retried without any event', (t) => {
  const { clock, q } = setup();
  q.add(makePod('a'));
  q.addUnschedulable(q.pop()!, q.currentCycle());
  clock.advance(59_999);
  q.flush();
  t.is(q.counts().unschedulable, 1);
  clock.advance(1);
  q.flush();
  t.is(q.counts().active, 1);
});

test('an event during the cycle sends the failed pod to back-off, not to be parked', (t) => {
  const { q } = setup();
  q.add(makePod('a'));
  const qp = q.pop()!;
  const cycle = q.currentCycle();
  q.moveAllToActiveOrBackoff(); // a node was added while we were filtering
  q.addUnschedulable(qp, cycle);
  t.deepEqual(q.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
});

test('updating a parked pod retries it', (t) => {
  const { clock, q } = setup();
  q.add(makePod('a', { cpu: '64' }));
  q.addUnschedulable(q.pop()!, q.currentCycle());
  clock.advance(2_000);
  q.update(makePod('a', { cpu: '1' }));
  t.is(q.counts().active, 1);
  t.is(q.pop()?.podInfo.requests.cpuMilli, 1000);
});

test('a pod deleted while being scheduled is not re-queued', (t) => {
  const { q } = setup();
  q.add(makePod('a'));
  const qp = q.pop()!;
  q.delete('default/a');
  q.addUnschedulable(qp, q.currentCycle());
  t.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });
  t.false(q.has('default/a'));
});

test('delete removes a pod from whichever part holds it', (t) => {
  const { q } = setup();
  q.add(makePod('a'));
  q.add(makePod('b'));
  q.addUnschedulable(q.pop()!, q.currentCycle());
  q.delete('default/a');
  q.delete('default/b');
  t.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 0 });
});

test('waitForActive resolves when a pod is added, and on close', async (t) => {
  const { q } = setup();
  const waiting = q.waitForActive();
  q.add(makePod('a'));
  await waiting;
  t.is(q.pop()?.podInfo.key, 'default/a');
  const closed = q.waitForActive();
  q.close();
  await closed;
  t.pass();
});

test('a pod with scheduling gates waits in gated, untried, until an update removes the last gate', (t) => {
  const { q } = setup();
  const base = makePod('g');
  const gated = { ...base, spec: { ...base.spec!, schedulingGates: [{ name: 'example.com/a' }, { name: 'example.com/b' }] } };
  q.add(gated);
  t.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, gated: 1 });
  q.moveAllToActiveOrBackoff();
  q.flush();
  t.is(q.pop(), undefined, 'never tried while gated');
  q.update({ ...gated, spec: { ...gated.spec, schedulingGates: [{ name: 'example.com/b' }] } });
  t.is(q.counts().gated, 1, 'one gate left');
  q.update(base);
  t.deepEqual(q.counts(), { active: 1, backoff: 0, unschedulable: 0, gated: 0 });
  t.is(q.pop()?.podInfo.key, 'default/g');
  q.add(gated);
  q.delete('default/g');
  t.is(q.counts().gated, 0, 'a deleted gated pod leaves');
});
