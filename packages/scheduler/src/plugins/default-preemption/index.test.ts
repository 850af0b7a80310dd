// DefaultPreemption on an in-memory cluster: the real framework, plugins, cache and queue; the
// preemptor records the decision and takes the victims out of the cache, as their deletion
// seen by the informer would.
import test from 'ava';
import { FakeClock } from '@tugboat/api';
import type { Node, Pod, PodDisruptionBudgetObject } from '@tugboat/api';
import { SchedulerCache } from '../../cache.js';
import { Framework } from '../../framework/framework.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { newPodInfo } from '../../framework/pod-info.js';
import { DEFAULT_PROFILE } from '../../framework/profile.js';
import { IN_TREE_REGISTRY } from '../registry.js';
import { SchedulingQueue } from '../../queue.js';
import { ScheduleOne, type Nomination } from '../../schedule-one.js';
import { NOW, makeListers, makeNode, makePod, type PodSpecLite } from '../../test-util.js';
import { pickOneNodeForPreemption, numCandidates, type Candidate } from './candidates.js';
import { moreImportant, splitByBudgetViolation } from './victims.js';

interface Decision { preemptor: string; node: string; victims: string[]; cleared: string[] }

function cluster(nodes: Node[], placed: Array<[string, Pod]>, pdbs: PodDisruptionBudgetObject[] = []) {
  const clock = new FakeClock(NOW);
  const cache = new SchedulerCache({ now: () => clock.now() });
  for (const n of nodes) {
    cache.addNode(n);
    cache.setNodeLease(n.metadata!.name!, { renewTimeMs: NOW, durationMs: 600_000 });
  }
  for (const [node, p] of placed) cache.addPod({ ...p, spec: { ...p.spec!, nodeName: node } });
  const queue = new SchedulingQueue({ now: () => clock.now() });
  const framework = new Framework(DEFAULT_PROFILE, IN_TREE_REGISTRY, { now: () => clock.now(), snapshot: cache, listers: makeListers({ pdbs }), nominator: queue.nominator, random: () => 0 });
  const decisions: Decision[] = [];
  const messages = new Map<string, string>();
  const nominations = new Map<string, Nomination>();
  const bound = new Map<string, string>();
  const cycle = new ScheduleOne({
    framework, cache, queue, now: () => clock.now(),
    binder: { async bind(p: PodInfo, n: string) { bound.set(p.key, n); cache.addPod({ ...p.pod, spec: { ...p.pod.spec!, nodeName: n } }); } },
    reporter: {
      scheduled: () => {},
      unschedulable: (p, m, _d, nom) => { messages.set(p.key, m); nominations.set(p.key, nom); },
      failed: (_p, m) => { throw new Error(m); },
    },
    preemptor: {
      preempt(p, node, victims, cleared) {
        decisions.push({ preemptor: p.key, node, victims: victims.map((v) => v.key), cleared: cleared.map((c) => c.key) });
        for (const v of victims) cache.removePod(v.pod);
        queue.moveAllToActiveOrBackoff();
      },
    },
  });
  return {
    cache, queue, clock, decisions, messages, nominations, bound,
    async schedule(...pods: Pod[]): Promise<void> {
      for (const p of pods) queue.add(p);
      for (;;) {
        while (cycle.scheduleOne()) { /* one cycle per pod */ }
        await cycle.waitForBindings();
        // Past every back-off: the preemptor comes back once its victims are gone.
        clock.advance(20_000);
        queue.flush();
        if (queue.counts().active === 0) return;
      }
    },
  };
}

const low = (name: string, o: PodSpecLite = {}): Pod => makePod(name, { cpu: '1', priority: 0, ...o });
const high = (name: string, o: PodSpecLite = {}): Pod => makePod(name, { cpu: '2', priority: 100, ...o });
const started = (p: Pod, iso: string): Pod => ({ ...p, status: { ...p.status, startTime: iso } });
const node2 = (name: string, o = {}): Node => makeNode(name, { cpu: '2', ...o });

test('a high-priority pod preempts the low-priority pods of a full node and then runs there', async (t) => {
  const c = cluster([node2('n1')], [['n1', low('a')], ['n1', low('b')]]);
  await c.schedule(high('h'));
  t.deepEqual(c.decisions, [{ preemptor: 'default/h', node: 'n1', victims: ['default/a', 'default/b'], cleared: [] }]);
  t.deepEqual(c.nominations.get('default/h'), { nodeName: 'n1' });
  t.is(c.bound.get('default/h'), 'n1');
  t.is(c.queue.nominator.nodeOf('default/h'), undefined, 'the nomination ends when the pod is placed');
});

test('only as many victims as needed, the least important first: the longest-running pod of the priority stays', async (t) => {
  // h needs 1 cpu on a 3-cpu node running three 1-cpu pods: one must go.
  const c = cluster([makeNode('n1', { cpu: '3' })], [
    ['n1', started(low('old'), '2024-01-01T00:00:00Z')],
    ['n1', started(low('mid'), '2024-02-01T00:00:00Z')],
    ['n1', started(low('new'), '2024-03-01T00:00:00Z')],
  ]);
  await c.schedule(high('h', { cpu: '1' }));
  t.deepEqual(c.decisions[0]?.victims, ['default/new']);
});

test('reprieve goes highest priority first: the higher-priority victim is kept', async (t) => {
  const c = cluster([makeNode('n1', { cpu: '3' })], [['n1', low('p5', { priority: 5 })], ['n1', low('p1', { priority: 1 })], ['n1', low('p3', { priority: 3 })]]);
  await c.schedule(high('h', { cpu: '1' }));
  t.deepEqual(c.decisions[0]?.victims, ['default/p1']);
});

test('the node needing the fewest victims wins when priorities tie', async (t) => {
  const c = cluster([node2('n1'), node2('n2')], [
    ['n1', low('a1', { cpu: '500m' })], ['n1', low('a2', { cpu: '500m' })], ['n1', low('a3', { cpu: '500m' })], ['n1', low('a4', { cpu: '500m' })],
    ['n2', low('b1', { cpu: '1' })], ['n2', low('b2', { cpu: '1' })],
  ]);
  await c.schedule(high('h', { cpu: '2' }));
  t.is(c.decisions[0]?.node, 'n2');
  t.deepEqual(c.decisions[0]?.victims, ['default/b1', 'default/b2']);
});

test('a disruption budget that would be broken steers preemption to the other node', async (t) => {
  const pdb: PodDisruptionBudgetObject = {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'db', namespace: 'default' },
    spec: { minAvailable: 2, selector: { matchLabels: { app: 'db' } } },
    status: { disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 2, expectedPods: 2 },
  };
  const c = cluster([node2('n1'), node2('n2')], [
    ['n1', low('db-1', { cpu: '2', labels: { app: 'db' } })],
    ['n2', low('web-1', { cpu: '2', labels: { app: 'web' } })],
  ], [pdb]);
  await c.schedule(high('h'));
  t.is(c.decisions[0]?.node, 'n2');
  t.deepEqual(c.decisions[0]?.victims, ['default/web-1']);
});

test('with preemptionPolicy Never the pod stays pending and nothing is preempted', async (t) => {
  const c = cluster([node2('n1')], [['n1', low('a', { cpu: '2' })]]);
  const never: Pod = { ...high('h'), spec: { ...high('h').spec!, preemptionPolicy: 'Never' } };
  await c.schedule(never);
  t.deepEqual(c.decisions, []);
  t.is(c.bound.get('default/h'), undefined);
  t.is(c.messages.get('default/h'), '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
});

test('nodes rejected for a reason preemption cannot cure are not candidates', async (t) => {
  const c = cluster([node2('cordoned', { unschedulable: true }), node2('n2', { labels: { disk: 'hdd' } })], [
    ['cordoned', low('a', { cpu: '2' })], ['n2', low('b', { cpu: '2' })],
  ]);
  await c.schedule(high('h', { nodeSelector: { disk: 'ssd' } }));
  t.deepEqual(c.decisions, []);
  t.is(c.messages.get('default/h'),
    "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) were unschedulable. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
});

test('equal or higher priority pods are never victims', async (t) => {
  const c = cluster([node2('n1')], [['n1', low('peer', { cpu: '2', priority: 100 })]]);
  await c.schedule(high('h'));
  t.deepEqual(c.decisions, []);
  t.regex(c.messages.get('default/h') ?? '', /preemption: 0\/1 nodes are available: 1 No preemption victims found for incoming pod\.$/);
});

test('a lower-priority pod cannot take the room freed for a nominated pod', async (t) => {
  const c = cluster([node2('n1')], [['n1', low('a', { cpu: '2' })]]);
  // The preemptor's victim is gone at once; before the preemptor's retry, a low pod arrives.
  c.queue.add(high('h'));
  c.queue.add(low('late', { cpu: '2', priority: 50 }));
  await c.schedule();
  t.is(c.bound.get('default/h'), 'n1');
  t.is(c.bound.get('default/late'), undefined, 'the mid-priority pod must not take h\'s room');
  t.is(c.decisions.length, 1);
});

test('a nominated pod whose victims are still terminating does not preempt again', async (t) => {
  const c = cluster([node2('n1'), node2('n2')], [['n1', low('a', { cpu: '2' })], ['n2', low('b', { cpu: '2' })]]);
  const terminating: Pod = {
    ...low('a', { cpu: '2', deleting: true }),
    status: { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler' }] },
  };
  c.cache.updatePod({ ...terminating, spec: { ...terminating.spec!, nodeName: 'n1' } });
  const h: Pod = { ...high('h'), status: { phase: 'Pending', nominatedNodeName: 'n1' } };
  await c.schedule(h);
  t.deepEqual(c.decisions, []);
  t.regex(c.messages.get('default/h') ?? '', /preemption: not eligible due to a terminating pod on the nominated node\.$/);
});

test('pickOneNodeForPreemption: budget violations, then highest victim priority, sum, count, start time', (t) => {
  const v = (name: string, priority: number, start = '2024-01-01T00:00:00Z'): PodInfo => newPodInfo(started(makePod(name, { priority }), start));
  const c = (nodeName: string, victims: PodInfo[], pdbViolations = 0): Candidate => ({ nodeName, victims, pdbViolations });
  t.is(pickOneNodeForPreemption([c('a', [v('x', 1)], 1), c('b', [v('y', 9), v('z', 9)])], NOW)?.nodeName, 'b');
  t.is(pickOneNodeForPreemption([c('a', [v('x', 5)]), c('b', [v('y', 3), v('z', 3)])], NOW)?.nodeName, 'b');
  t.is(pickOneNodeForPreemption([c('a', [v('x', 5), v('y', 4)]), c('b', [v('z', 5), v('w', 1)])], NOW)?.nodeName, 'b');
  t.is(pickOneNodeForPreemption([c('a', [v('x', 5), v('y', 0)]), c('b', [v('z', 5)])], NOW)?.nodeName, 'b');
  t.is(pickOneNodeForPreemption([c('a', [v('x', 5, '2024-01-01T00:00:00Z')]), c('b', [v('z', 5, '2024-06-01T00:00:00Z')])], NOW)?.nodeName, 'b');
  t.is(pickOneNodeForPreemption([], NOW), undefined);
});

test('numCandidates: 10% of the potential nodes, at least 100, at most all', (t) => {
  t.is(numCandidates(50), 50);
  t.is(numCandidates(500), 100);
  t.is(numCandidates(5000), 500);
});

test('splitByBudgetViolation counts each budget down in order; disrupted pods were charged already', (t) => {
  const pdb: PodDisruptionBudgetObject = {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'x' } } },
    status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3, disruptedPods: { x0: '2024-05-01T10:00:00Z' } },
  };
  const pods = ['x0', 'x1', 'x2', 'other'].map((n) => newPodInfo(makePod(n, { labels: { app: n === 'other' ? 'y' : 'x' } })));
  const { violating, nonViolating } = splitByBudgetViolation(pods, [pdb]);
  t.deepEqual(violating.map((p) => p.key), ['default/x2']);
  t.deepEqual(nonViolating.map((p) => p.key), ['default/x0', 'default/x1', 'default/other']);
  t.true(moreImportant(newPodInfo(makePod('a', { priority: 2 })), newPodInfo(makePod('b', { priority: 1 })), NOW) < 0);
});
