import test from 'ava';
import { remainingGraceSeconds, terminationWaves } from './termination-order.js';
import { inst, pod } from './test-fixtures.js';

const p = pod({
  initContainers: [
    { name: 's1', image: 'busybox', restartPolicy: 'Always' },
    { name: 'i1', image: 'busybox' },
    { name: 's2', image: 'busybox', restartPolicy: 'Always' },
  ],
  containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'busybox' }],
});

test('regular containers first, together; then the sidecars one by one in reverse order of declaration', (t) => {
  const live = [inst(0, 'running', {}, 's1'), inst(0, 'running', {}, 's2'), inst(0, 'running', {}, 'a'), inst(0, 'created', {}, 'b')];
  t.deepEqual(terminationWaves(p, live).map((w) => w.map((c) => c.name)), [['a', 'b'], ['s2'], ['s1']]);
});

test('only live containers; a plain init container still running goes with the first wave; no empty waves', (t) => {
  t.deepEqual(terminationWaves(p, [inst(0, 'running', {}, 's1'), inst(0, 'running', {}, 'i1')]).map((w) => w.map((c) => c.name)), [['i1'], ['s1']]);
  t.deepEqual(terminationWaves(p, [inst(0, 'running', {}, 's1')]).map((w) => w.map((c) => c.name)), [['s1']]);
  t.deepEqual(terminationWaves(pod(), [inst(0, 'running')]).map((w) => w.map((c) => c.name)), [['c']]);
  t.deepEqual(terminationWaves(pod(), []), []);
});

test('the grace period covers the whole: a later wave gets what is left, at least 2 s, never more than the pod has', (t) => {
  t.is(remainingGraceSeconds(30, 0), 30);
  t.is(remainingGraceSeconds(30, 10_500), 20, 'whole seconds waited are taken off');
  t.is(remainingGraceSeconds(30, 29_000), 2, 'kubelet\'s minimum window');
  t.is(remainingGraceSeconds(30, 45_000), 2);
  t.is(remainingGraceSeconds(1, 5_000), 1);
  t.is(remainingGraceSeconds(0, 0), 0, 'grace 0 kills at once');
});
