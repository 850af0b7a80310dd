import test from 'ava';
import type { PodObject } from './informers.js';
import { podsOnMissingNodes, terminatedPodsToDelete } from './pod-gc.js';

const T0 = Date.UTC(2024, 0, 1);

function pod(name: string, node: string | undefined, phase: string, ageS = 0, deleting = false): PodObject {
  return {
    metadata: { name, namespace: 'default', creationTimestamp: new Date(T0 - ageS * 1000).toISOString(), ...(deleting ? { deletionTimestamp: new Date(T0).toISOString() } : {}) },
    spec: { containers: [], ...(node ? { nodeName: node } : {}) },
    status: { phase },
  };
}

test('pods bound to nodes that do not exist are found; unbound pods are not', (t) => {
  const pods = [pod('a', 'gone', 'Running'), pod('b', 'here', 'Running'), pod('c', undefined, 'Pending')];
  t.deepEqual(podsOnMissingNodes(pods, new Set(['here'])).map((p) => p.metadata?.name), ['a']);
});

test('terminated pods beyond the threshold go oldest first', (t) => {
  const pods = [
    pod('new-done', 'n', 'Succeeded', 10),
    pod('old-failed', 'n', 'Failed', 300),
    pod('running', 'n', 'Running', 999),
    pod('mid-done', 'n', 'Succeeded', 100),
  ];
  t.deepEqual(terminatedPodsToDelete(pods, 1).map((p) => p.metadata?.name), ['old-failed', 'mid-done']);
  t.deepEqual(terminatedPodsToDelete(pods, 3), []);
  t.deepEqual(terminatedPodsToDelete(pods, 0), [], 'a threshold of 0 disables it');
});

test('terminated pods already being deleted are not counted twice', (t) => {
  const pods = [pod('a', 'n', 'Succeeded', 30, true), pod('b', 'n', 'Succeeded', 20), pod('c', 'n', 'Succeeded', 10)];
  t.deepEqual(terminatedPodsToDelete(pods, 1).map((p) => p.metadata?.name), ['b']);
});
