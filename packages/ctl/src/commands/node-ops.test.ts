import test from 'ava';
import type { Pod } from '@tugboat/api';
import { drainPlan, unmanagedPods } from './node-ops.js';
import { LinePrefixer } from './logs.js';

test('drain refuses pods no controller owns, except finished ones', (t) => {
  const pods: Pod[] = [
    { metadata: { name: 'owned', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '1', controller: true }] } },
    { metadata: { name: 'bare' } },
    { metadata: { name: 'done' }, status: { phase: 'Succeeded' } },
  ];
  t.deepEqual(unmanagedPods(pods).map((p) => p.metadata?.name), ['bare']);
});

test('drain plan: kubectl\'s filters — DaemonSet pods, emptyDir data, pods without a controller, mirror pods', (t) => {
  const ref = (kind: string) => [{ apiVersion: 'apps/v1', kind, name: 'o', uid: '1', controller: true }];
  const pods: Pod[] = [
    { metadata: { name: 'web', namespace: 'a', ownerReferences: ref('ReplicaSet') } },
    { metadata: { name: 'ds', namespace: 'a', ownerReferences: ref('DaemonSet') } },
    { metadata: { name: 'cache', namespace: 'a', ownerReferences: ref('ReplicaSet') }, spec: { containers: [], volumes: [{ name: 'tmp', emptyDir: {} }] } },
    { metadata: { name: 'bare', namespace: 'a' } },
    { metadata: { name: 'static', namespace: 'a', annotations: { 'kubernetes.io/config.mirror': 'x' } } },
  ];
  const strict = drainPlan(pods, { force: false, ignoreDaemonsets: false, deleteEmptydirData: false });
  t.deepEqual(strict.errors, [
    'cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): a/ds',
    'cannot delete Pods with local storage (use --delete-emptydir-data to override): a/cache',
    'cannot delete pods that declare no controller (use --force to override): a/bare',
  ]);
  const all = drainPlan(pods, { force: true, ignoreDaemonsets: true, deleteEmptydirData: true });
  t.deepEqual(all.errors, []);
  t.deepEqual(all.evict.map((p) => p.metadata?.name), ['web', 'cache', 'bare']);
  t.deepEqual(all.warnings, ['ignoring DaemonSet-managed Pods: a/ds', 'deleting Pods with local storage: a/cache', 'deleting Pods that declare no controller: a/bare']);
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
