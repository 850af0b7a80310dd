import test from 'ava';
import type { Node, Pod } from '@tugboat/api';
import { buildFleet, FULL_TILES_MAX } from './fleet.js';

const node = (name: string, ready = true, unschedulable = false): Node => ({
  metadata: { name },
  spec: { unschedulable },
  status: { allocatable: { cpu: '4', memory: '8Gi' }, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const pod = (name: string, nodeName?: string, extra: Partial<Pod['status']> = {}): Pod => ({
  metadata: { name, namespace: 'demo', creationTimestamp: `2026-01-01T00:00:0${name.length % 10}Z` },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', resources: { requests: { cpu: '1' } } }] },
  status: { phase: nodeName ? 'Running' : 'Pending', ...extra },
});

test('buildFleet: pods on their nodes, counts, pending pods, tiles in natural order', (t) => {
  const fleet = buildFleet(
    [node('node-10'), node('node-2', false), node('node-1', true, true)],
    [pod('a', 'node-1'), pod('b', 'node-1'), pod('c', 'node-2'), pod('d'), pod('done', 'node-10', { phase: 'Succeeded' })],
    '',
  );
  t.deepEqual(fleet.tiles.map((x) => x.name), ['node-1', 'node-2', 'node-10']);
  t.deepEqual(fleet.tiles.map((x) => x.pods.map((p) => p.metadata?.name)), [['a', 'b'], ['c'], []]);
  t.deepEqual(fleet.summary, { nodes: 3, ready: 2, notReady: 1, cordoned: 1, pods: 4, pending: 1 });
  t.deepEqual(fleet.unscheduled.map((p) => p.metadata?.name), ['d']);
  t.is(fleet.tiles[0]!.load.cpu.requested, 2000);
  t.is(fleet.mode, 'tiles');
});

test('buildFleet: search narrows the tiles, not the summary; many nodes make a heat map', (t) => {
  const many = Array.from({ length: FULL_TILES_MAX + 1 }, (_, i) => node(`node-${i + 1}`));
  const all = buildFleet(many, [], '');
  t.is(all.mode, 'heatmap');
  const one = buildFleet(many, [], 'NODE-17');
  t.deepEqual(one.tiles.map((x) => x.name), ['node-17']);
  t.is(one.summary.nodes, FULL_TILES_MAX + 1);
  t.is(one.mode, 'tiles');
});

test('buildFleet: an unchanged node and pods give the same tile object; a changed pod a new one', (t) => {
  const nodes = [node('node-1'), node('node-2')];
  const pods = [pod('a', 'node-1'), pod('b', 'node-2')];
  const first = buildFleet(nodes, pods, '');
  const again = buildFleet(nodes, [...pods], '');
  t.is(again.tiles[0], first.tiles[0], 'node-1 reused');
  t.is(again.tiles[1], first.tiles[1], 'node-2 reused');
  const changed = buildFleet(nodes, [pods[0]!, { ...pods[1]!, status: { phase: 'Running' } }], '');
  t.is(changed.tiles[0], first.tiles[0]);
  t.not(changed.tiles[1], first.tiles[1], 'node-2 has a changed pod');
  const heartbeat = buildFleet([nodes[0]!, { ...nodes[1]! }], pods, '');
  t.not(heartbeat.tiles[1], first.tiles[1], 'node-2 has a new Node object');
});

test('buildFleet: nodes and pods in natural order (node-9 before node-10)', (t) => {
  const names = ['node-10', 'node-9', 'node-100', 'node-1'];
  const fleet = buildFleet(names.map((n) => node(n)), [pod('web-10', 'node-1'), pod('web-9', 'node-1'), pod('api-1', 'node-1')], '');
  t.deepEqual(fleet.tiles.map((x) => x.name), ['node-1', 'node-9', 'node-10', 'node-100']);
  t.deepEqual(fleet.tiles[0]!.pods.map((p) => p.metadata?.name), ['api-1', 'web-9', 'web-10']);
});
