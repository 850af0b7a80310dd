import test from 'ava';
import { cycleState, makeNodeInfo, makePod, podInfo } from '../../test-util.js';
import { newPodInfo } from '../../framework/pod-info.js';
import { NodeResourcesFit, REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_MEMORY, REASON_TOO_MANY_PODS } from './index.js';

const plugin = new NodeResourcesFit();

test('fits while requests stay within allocatable minus what is requested', (t) => {
  const node = makeNodeInfo('n', { cpu: '1', memory: '1Gi' }, [makePod('a', { cpu: '600m', memory: '512Mi' })]);
  t.is(plugin.filter(cycleState(), podInfo('p', { cpu: '400m', memory: '512Mi' }), node).code, 'success');
});

test('Insufficient cpu, Insufficient memory, each a reason', (t) => {
  const node = makeNodeInfo('n', { cpu: '1', memory: '1Gi' }, [makePod('a', { cpu: '600m', memory: '768Mi' })]);
  const cpu = plugin.filter(cycleState(), podInfo('p', { cpu: '500m' }), node);
  t.is(cpu.code, 'unschedulable');
  t.deepEqual(cpu.reasons, [REASON_INSUFFICIENT_CPU]);
  const both = plugin.filter(cycleState(), podInfo('p', { cpu: '500m', memory: '512Mi' }), node);
  t.deepEqual(both.reasons, [REASON_INSUFFICIENT_CPU, REASON_INSUFFICIENT_MEMORY]);
});

test('Too many pods when the node holds its allocatable pod count', (t) => {
  const node = makeNodeInfo('n', { pods: '2' }, [makePod('a'), makePod('b')]);
  const s = plugin.filter(cycleState(), podInfo('p'), node);
  t.deepEqual(s.reasons, [REASON_TOO_MANY_PODS]);
});

test('a pod without requests fits a full node (requests default to 0 for fitting)', (t) => {
  const node = makeNodeInfo('n', { cpu: '1' }, [makePod('a', { cpu: '1' })]);
  t.is(plugin.filter(cycleState(), podInfo('p'), node).code, 'success');
});

test('init containers: the pod needs the largest of (sum of containers, any init container)', (t) => {
  const pod = makePod('p', { cpu: '200m' });
  pod.spec!.initContainers = [{ name: 'init', image: 'busybox', resources: { requests: { cpu: '900m' } } }];
  const info = newPodInfo(pod);
  t.is(info.requests.cpuMilli, 900);
  t.is(plugin.filter(cycleState(), info, makeNodeInfo('n', { cpu: '800m' })).code, 'unschedulable');
});

test('a request that does not parse is rejected in PreFilter, naming the field', (t) => {
  const pod = makePod('p');
  pod.spec!.containers[0]!.resources = { requests: { cpu: 'lots' } };
  const s = plugin.preFilter(cycleState(), newPodInfo(pod));
  t.is(s.code, 'unresolvable');
  t.regex(s.reasons[0]!, /spec\.containers\[0\]\.resources\.requests\.cpu/);
});
