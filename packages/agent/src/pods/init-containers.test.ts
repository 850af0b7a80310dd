import test from 'ava';
import { initProgress } from './init-containers.js';
import { T0, exited, inst, pod } from './test-fixtures.js';

const withInit = pod({ initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }] });

test('no init containers: initialized from the start', (t) => {
  t.deepEqual(initProgress(pod(), []), { kind: 'done' });
});

test('in order: the first, then each after the previous exited 0, then done', (t) => {
  t.deepEqual(initProgress(withInit, []), { kind: 'next', name: 'i1' });
  t.deepEqual(initProgress(withInit, [inst(0, 'created', {}, 'i1')]), { kind: 'running', name: 'i1' });
  t.deepEqual(initProgress(withInit, [inst(0, 'running', {}, 'i1')]), { kind: 'running', name: 'i1' });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1')]), { kind: 'next', name: 'i2' });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), inst(0, 'running', {}, 'i2')]), { kind: 'running', name: 'i2' });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), exited(0, 0, T0 + 1_000, 'i2')]), { kind: 'done' });
});

test('a failure: the failed instance, whatever came after; a later success of the same container clears it', (t) => {
  const failed = exited(0, 1, T0, 'i2');
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), failed]), { kind: 'failed', name: 'i2', instance: failed });
  t.deepEqual(initProgress(withInit, [exited(0, 0, T0, 'i1'), failed, exited(1, 0, T0 + 5_000, 'i2')]), { kind: 'done' });
  const oom = inst(0, 'exited', { exitCode: 0, reason: 'OOMKilled' }, 'i1');
  t.is(initProgress(withInit, [oom]).kind, 'failed');
});

test('a regular container with an instance means initialized, even when the init instances are gone', (t) => {
  t.deepEqual(initProgress(withInit, [inst(0, 'running')]), { kind: 'done' });
  t.deepEqual(initProgress(withInit, [exited(3, 1, T0)]), { kind: 'done' });
});
