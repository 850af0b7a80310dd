import test from 'ava';
import type { Node, Pod } from '@tugboat/api';
import { loadLevel, nodeLoad, nodeState, nodeStatusText } from './load.js';

const node = (o: { ready?: 'True' | 'False' | 'Unknown'; unschedulable?: boolean; usage?: string } = {}): Node => ({
  metadata: { name: 'n1', ...(o.usage ? { annotations: { 'tugboat.io/usage': o.usage } } : {}) },
  spec: o.unschedulable ? { unschedulable: true } : {},
  status: { allocatable: { cpu: '2', memory: '4Gi' }, conditions: o.ready ? [{ type: 'Ready', status: o.ready }] : [] },
});

const pod = (cpu: string, memory: string, phase = 'Running'): Pod => ({
  metadata: { name: `p-${cpu}` },
  spec: { nodeName: 'n1', containers: [{ name: 'c', resources: { requests: { cpu, memory } } }] },
  status: { phase },
});

test('nodeState: Ready, NotReady, Unknown without a condition; cordoned from spec.unschedulable', (t) => {
  t.deepEqual(nodeState(node({ ready: 'True' })), { readiness: 'Ready', cordoned: false });
  t.deepEqual(nodeState(node({ ready: 'False', unschedulable: true })), { readiness: 'NotReady', cordoned: true });
  t.is(nodeState(node({ ready: 'Unknown' })).readiness, 'NotReady', 'an agent that stopped reporting');
  t.is(nodeState(node()).readiness, 'Unknown');
  t.is(nodeStatusText({ readiness: 'Ready', cordoned: true }), 'Ready,SchedulingDisabled');
});

test('nodeLoad: requests of running pods over allocatable; terminated pods count nothing', (t) => {
  const load = nodeLoad(node({ ready: 'True' }), [pod('500m', '1Gi'), pod('250m', '512Mi'), pod('1', '1Gi', 'Succeeded')]);
  t.is(load.cpu.requested, 750);
  t.is(load.cpu.allocatable, 2000);
  t.is(load.memory.requested, 1.5 * 2 ** 30);
  t.is(load.cpu.used, undefined);
  t.is(load.fraction, 0.375);
});

test('nodeLoad: reported usage counts when it is the larger; a malformed report is ignored', (t) => {
  const busy = nodeLoad(node({ usage: '{"cpu":"1800m","memory":"1Gi"}' }), [pod('100m', '64Mi')]);
  t.is(busy.cpu.used, 1800);
  t.is(busy.fraction, 0.9);
  t.is(loadLevel(busy.fraction), 'full');
  t.is(nodeLoad(node({ usage: 'not json' }), []).cpu.used, undefined);
});

test('loadLevel bands', (t) => {
  t.deepEqual([0, 0.04, 0.3, 0.6, 0.8, 0.95, 1.4].map(loadLevel), ['idle', 'idle', 'low', 'medium', 'high', 'full', 'full']);
});
