import test from 'ava';
import type { Pod } from '@tugboat/api';
import { unmanagedPods } from './node-ops.js';
import { LinePrefixer } from './logs.js';

test('drain refuses pods no controller owns, except finished ones', (t) => {
  const pods: Pod[] = [
    { metadata: { name: 'owned', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '1', controller: true }] } },
    { metadata: { name: 'bare' } },
    { metadata: { name: 'done' }, status: { phase: 'Succeeded' } },
  ];
  t.deepEqual(unmanagedPods(pods).map((p) => p.metadata?.name), ['bare']);
});

test('log prefixes go in front of whole lines, across chunk boundaries', (t) => {
  let out = '';
  const p = new LinePrefixer('[pod/a/c] ', (s) => { out += s; });
  p.push('hel');
  p.push('lo\nwor');
  p.push('ld\n');
  p.push('tail');
  p.flush();
  t.is(out, '[pod/a/c] hello\n[pod/a/c] world\n[pod/a/c] tail\n');
});
