import test from 'ava';
import type { Pod } from '@tugboat/api';
import { podHealth, podStatusText, readyText, schedulingProblem } from './pod-status.js';

test('podStatusText follows kubectl: waiting reasons, terminated reasons, Terminating, else the phase', (t) => {
  t.is(podStatusText({ status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] } }), 'Running');
  t.is(podStatusText({ status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] } }), 'CrashLoopBackOff');
  t.is(podStatusText({ status: { phase: 'Succeeded', containerStatuses: [{ name: 'c', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }), 'Completed');
  t.is(podStatusText({ metadata: { deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { phase: 'Running' } }), 'Terminating');
  t.is(podStatusText({ status: { phase: 'Pending' } }), 'Pending');
});

test('readyText and podHealth', (t) => {
  const p: Pod = { spec: { containers: [{ name: 'a' }, { name: 'b' }] }, status: { phase: 'Running', containerStatuses: [{ name: 'a', image: '', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] } };
  t.is(readyText(p), '1/2');
  t.is(podHealth(p), 'waiting');
  t.is(podHealth({ status: { phase: 'Pending' } }), 'waiting');
  t.is(podHealth({ status: { phase: 'Failed' } }), 'bad');
});

test('schedulingProblem: the PodScheduled=False message while unbound, nothing once bound', (t) => {
  const message = '0/3 nodes are available: 3 Insufficient cpu.';
  const pending: Pod = { spec: { containers: [] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] } };
  t.deepEqual(schedulingProblem(pending), { reason: 'Unschedulable', message });
  t.is(schedulingProblem({ ...pending, spec: { containers: [], nodeName: 'n1' } }), undefined);
  t.is(schedulingProblem({ spec: { containers: [] }, status: { phase: 'Pending' } }), undefined);
});
