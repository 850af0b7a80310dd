// How old a node's usage report may be before the metrics API stops serving it.
import test from 'ava';
import { nodeMetrics, podMetrics } from './resource-metrics.js';
import type { KubeObject } from './types.js';

const NOW = new Date('2026-12-07T12:00:00Z');

function node(ageMinutes: number, ready: 'True' | 'Unknown' | undefined): KubeObject {
  const timestamp = new Date(NOW.getTime() - ageMinutes * 60_000).toISOString();
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name: 'n1', annotations: { 'tugboat.io/usage': JSON.stringify({ cpu: '1', memory: '1Gi', timestamp }), 'tugboat.io/pod-usage': JSON.stringify({ 'default/web': { cpu: '100m', memory: '1Mi' } }) } },
    ...(ready ? { status: { conditions: [{ type: 'Ready', status: ready }] } } : {}),
  } as KubeObject;
}

const POD = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' } } as KubeObject;

test('a report is served 3 minutes, or 6 while its node is Ready (a live agent rewrites unchanged figures every 5)', (t) => {
  const served = (age: number, ready: 'True' | 'Unknown' | undefined): boolean => {
    const n = node(age, ready);
    const viaNode = nodeMetrics(n, NOW) !== undefined;
    t.is(podMetrics([n], [POD], NOW).length === 1, viaNode, 'pods follow their node');
    return viaNode;
  };
  t.true(served(2, undefined));
  t.false(served(4, undefined));
  t.false(served(4, 'Unknown'), 'a node the controller lost: its last figures are not current');
  t.true(served(4, 'True'));
  t.true(served(5.9, 'True'));
  t.false(served(6.1, 'True'), 'an agent that stopped writing usage while it beats');
});
