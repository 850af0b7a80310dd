import test from 'ava';
import { CycleState } from '../../framework/cycle-state.js';
import { NOW, cycleState, makeNodeInfo, podInfo } from '../../test-util.js';
import { NodeReady, REASON_NOT_READY, REASON_NO_LIVE_LEASE } from './index.js';

const plugin = new NodeReady();

test('Ready=True and a lease renewed within its duration: fits', (t) => {
  t.is(plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n')).code, 'success');
});

test('Ready=False: not ready', (t) => {
  const s = plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n', { ready: false }));
  t.is(s.code, 'unresolvable');
  t.deepEqual(s.reasons, [REASON_NOT_READY]);
});

test('no lease, or a lease not renewed within its duration: no live lease', (t) => {
  for (const lease of ['none', 'expired'] as const) {
    const s = plugin.filter(cycleState(), podInfo('p'), makeNodeInfo('n', { lease }));
    t.is(s.code, 'unresolvable', lease);
    t.deepEqual(s.reasons, [REASON_NO_LIVE_LEASE]);
  }
});

test('the lease expires exactly at renewTime + duration (the cycle clock decides)', (t) => {
  const node = makeNodeInfo('n'); // renewed at NOW for 40 s
  t.is(plugin.filter(new CycleState(NOW + 39_999), podInfo('p'), node).code, 'success');
  t.is(plugin.filter(new CycleState(NOW + 40_000), podInfo('p'), node).code, 'unresolvable');
});
