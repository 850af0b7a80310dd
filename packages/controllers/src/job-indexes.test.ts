import test from 'ava';
import type { Pod } from '@tugboat/api';
import { completionIndex, countIndexes, duplicateOrStalePods, firstPendingIndexes, formatIndexes, parseIndexes, toIntervals, withIndexes } from './job-indexes.js';

const pod = (name: string, index?: string): Pod => ({
  metadata: { name, ...(index !== undefined ? { annotations: { 'batch.kubernetes.io/job-completion-index': index } } : {}) },
  spec: { containers: [] },
});

test('completedIndexes text round-trips as Kubernetes writes it', (t) => {
  t.is(formatIndexes(toIntervals([4, 0, 2, 1, 1])), '0-2,4');
  t.is(formatIndexes(toIntervals([5, 6])), '5-6');
  t.is(formatIndexes(toIntervals([])), '');
  t.deepEqual(parseIndexes('0-2,4', 10), [{ first: 0, last: 2 }, { first: 4, last: 4 }]);
  t.is(formatIndexes(parseIndexes('1,2,3,7', 10)), '1-3,7', 'adjacent single indexes merge');
});

test('parsing drops indexes at or above completions and skips malformed parts', (t) => {
  t.is(formatIndexes(parseIndexes('0-9', 5)), '0-4');
  t.is(formatIndexes(parseIndexes('x,3,-1,4-', 5)), '3');
  t.is(countIndexes(parseIndexes('0-2,4', 5)), 4);
});

test('adding indexes keeps the set ordered and unique', (t) => {
  t.is(formatIndexes(withIndexes(parseIndexes('0-2', 10), [4, 3, 2])), '0-4');
});

test('the next indexes to start skip running and succeeded ones', (t) => {
  const succeeded = parseIndexes('0,2', 6);
  t.deepEqual(firstPendingIndexes([1], succeeded, 2, 6), [3, 4]);
  t.deepEqual(firstPendingIndexes([], succeeded, 10, 6), [1, 3, 4, 5]);
  t.deepEqual(firstPendingIndexes([1, 3, 4, 5], succeeded, 1, 6), []);
});

test('a pod\'s index comes from its annotation', (t) => {
  t.is(completionIndex(pod('a', '3')), 3);
  t.is(completionIndex(pod('b')), undefined);
  t.is(completionIndex(pod('c', 'x')), undefined);
});

test('duplicates, succeeded and out-of-range indexes are deleted; the first pod of an index stays', (t) => {
  const pods = [pod('a', '0'), pod('b', '0'), pod('c', '1'), pod('d', '9'), pod('e'), pod('f', '2')];
  const victims = duplicateOrStalePods(pods, parseIndexes('1', 3), 3).map((p) => p.metadata?.name);
  t.deepEqual(victims, ['b', 'c', 'd', 'e']);
});
