import test from 'ava';
import type { FrameworkHandle, PluginFactory, Registry, ReservePlugin } from './interfaces.js';
import { Framework } from './framework.js';
import { DEFAULT_PROFILE, type Profile } from './profile.js';
import { SUCCESS, unschedulable, type Status } from './status.js';
import { IN_TREE_REGISTRY } from '../plugins/registry.js';
import { cycleState, makeNodeInfo, podInfo } from '../test-util.js';
import { SchedulerCache } from '../cache.js';
import { NO_OBJECTS } from './snapshot.js';

const handle: FrameworkHandle = { now: () => 0, snapshot: new SchedulerCache(), listers: NO_OBJECTS };

test('the default profile builds from the in-tree registry', (t) => {
  t.notThrows(() => new Framework(DEFAULT_PROFILE, IN_TREE_REGISTRY, handle));
});

test('profile mistakes are one line naming the field', (t) => {
  const bad = (p: Partial<Profile>): Error | undefined => t.throws(() => new Framework({ ...DEFAULT_PROFILE, ...p }, IN_TREE_REGISTRY, handle));
  t.regex(bad({ filter: ['NodeUnschedulable', 'Nope'] })!.message, /^profile filter\[1\]: unknown plugin "Nope"/);
  t.regex(bad({ score: [{ name: 'NodeResourcesFit', weight: 1 }] })!.message, /^profile score\[0\]\.name: plugin "NodeResourcesFit" has no score extension point/);
  t.regex(bad({ score: [{ name: 'LeastAllocated', weight: 0 }] })!.message, /^profile score\[0\]\.weight: must be a positive integer/);
  t.regex(bad({ filter: ['LeastAllocated'] })!.message, /has no filter extension point/);
});

test('filters run in profile order and the first rejection is returned', (t) => {
  const fw = new Framework(DEFAULT_PROFILE, IN_TREE_REGISTRY, handle);
  const state = cycleState();
  const pod = podInfo('p', { cpu: '8' });
  const { status, filters } = fw.runPreFilter(state, pod);
  t.is(status.code, 'success');
  t.false(filters.some((f) => f.name === 'NodeName' || f.name === 'NodeAffinity'), 'skipped by their PreFilter');
  const s = fw.runFilter(state, pod, makeNodeInfo('n', { cpu: '1', unschedulable: true }), filters);
  t.is(s.plugin, 'NodeUnschedulable');
});

test('scores are weighted and summed', (t) => {
  const fw = new Framework({ ...DEFAULT_PROFILE, score: [{ name: 'LeastAllocated', weight: 3 }] }, IN_TREE_REGISTRY, handle);
  const nodes = [makeNodeInfo('a', { cpu: '4', memory: '4Gi' })];
  const pod = podInfo('p', { cpu: '1', memory: '1Gi' });
  const state = cycleState();
  const { scorers } = fw.runPreScore(state, pod, nodes, 1);
  const totals = new Float64Array(1);
  fw.runScore(state, pod, nodes, 1, scorers, totals);
  t.is(totals[0], 3 * 75);
});

test('a failing reserve unreserves every reserve plugin, in reverse order', (t) => {
  const calls: string[] = [];
  const reserve = (name: string, result: Status): ReservePlugin => ({
    name,
    reserve: () => { calls.push(`reserve ${name}`); return result; },
    unreserve: () => { calls.push(`unreserve ${name}`); },
  });
  const registry: Registry = new Map<string, PluginFactory>([
    ...IN_TREE_REGISTRY,
    ['A', () => reserve('A', SUCCESS)],
    ['B', () => reserve('B', unschedulable('volume gone'))],
  ]);
  const fw = new Framework({ ...DEFAULT_PROFILE, reserve: ['A', 'B'] }, registry, handle);
  const s = fw.runReserve(cycleState(), podInfo('p'), 'n');
  t.is(s.code, 'unschedulable');
  t.is(s.plugin, 'B');
  t.deepEqual(calls, ['reserve A', 'reserve B', 'unreserve B', 'unreserve A']);
});

test('runPreFilterAddPod / RemovePod run the extensions of the plugins whose PreFilter did not skip', (t) => {
  const cache = new SchedulerCache();
  const fw = new Framework(DEFAULT_PROFILE, IN_TREE_REGISTRY, { now: () => 0, snapshot: cache, listers: NO_OBJECTS });
  const node = makeNodeInfo('n');
  const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' }] } };
  const pod = podInfo('p', { affinity: anti });
  const state = cycleState();
  const { filters } = fw.runPreFilter(state, pod);
  t.is(fw.runFilter(state, pod, node, filters).code, 'success');
  const other = podInfo('web', { labels: { app: 'web' } });
  t.is(fw.runPreFilterAddPod(state, pod, other, node).code, 'success');
  t.is(fw.runFilter(state, pod, node, filters).plugin, 'InterPodAffinity', 'as if web ran on n');
  t.is(fw.runPreFilterRemovePod(state, pod, other, node).code, 'success');
  t.is(fw.runFilter(state, pod, node, filters).code, 'success');
});
