import test from 'ava';
import { localPathStorageClass, type PersistentVolumeClaimObject, type PersistentVolumeObject, type PersistentVolumeSpec, type StorageClassObject } from '@tugboat/api';
import { CycleState } from '../../framework/cycle-state.js';
import type { VolumeAccess } from '../../framework/snapshot.js';
import { NOW, makeNodeInfo, makePod } from '../../test-util.js';
import { newPodInfo } from '../../framework/pod-info.js';
import { REASON_NODE_CONFLICT, REASON_NO_VOLUME, REASON_UNBOUND_IMMEDIATE, VolumeBinding } from './index.js';

const onNode = (node: string): PersistentVolumeSpec => ({
  capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/x' },
  nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } },
});
const claim = (name: string, spec: Record<string, unknown>): PersistentVolumeClaimObject =>
  ({ metadata: { name, namespace: 'default', uid: `${name}-uid` }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec } });
const manual: StorageClassObject = { metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' };
const fast: StorageClassObject = { metadata: { name: 'fast' }, provisioner: 'example.com/fast', volumeBindingMode: 'Immediate' };

function access(claims: PersistentVolumeClaimObject[], volumes: PersistentVolumeObject[], selected: string[] = []): VolumeAccess {
  const classes = [localPathStorageClass(), manual, fast];
  return {
    claim: (ns, n) => claims.find((c) => c.metadata?.name === n && c.metadata.namespace === ns),
    volume: (n) => volumes.find((v) => v.metadata?.name === n),
    volumes: () => volumes,
    storageClass: (n) => classes.find((c) => c.metadata?.name === n),
    selectNode: async (ns, n, node) => {
      selected.push(`${ns}/${n}@${node}`);
      const c = claims.find((x) => x.metadata?.name === n);
      // The binder and provisioner's work, done at once.
      if (c) Object.assign(c, { spec: { ...c.spec, volumeName: 'made' }, status: { phase: 'Bound' } });
    },
    changed: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 10))),
  };
}

const withClaim = (...names: string[]) => newPodInfo({
  ...makePod('p'),
  spec: { ...makePod('p').spec!, volumes: names.map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } })) },
});
const nodeA = makeNodeInfo('a');
const nodeB = makeNodeInfo('b');

test('a pod without claims skips the plugin in PreFilter', (t) => {
  const plugin = new VolumeBinding(access([], []));
  t.is(plugin.preFilter(new CycleState(NOW), newPodInfo(makePod('p'))).code, 'skip');
});

test('missing claim, unbound Immediate claim: the pod fits nowhere, in Kubernetes\' words', (t) => {
  const plugin = new VolumeBinding(access([claim('imm', { storageClassName: 'fast' })], []));
  const missing = plugin.preFilter(new CycleState(NOW), withClaim('gone'));
  t.is(missing.code, 'unresolvable');
  t.deepEqual(missing.reasons, ['persistentvolumeclaim "gone" not found']);
  t.deepEqual(plugin.preFilter(new CycleState(NOW), withClaim('imm')).reasons, [REASON_UNBOUND_IMMEDIATE]);
});

test('a claim bound to a volume with node affinity: only that node fits', (t) => {
  const plugin = new VolumeBinding(access([claim('data', { volumeName: 'pv-a' })], [{ metadata: { name: 'pv-a' }, spec: onNode('a') }]));
  const state = new CycleState(NOW);
  const pod = withClaim('data');
  t.is(plugin.preFilter(state, pod).code, 'success');
  t.is(plugin.filter(state, pod, nodeA).code, 'success');
  const s = plugin.filter(state, pod, nodeB);
  t.is(s.code, 'unschedulable');
  t.deepEqual(s.reasons, [REASON_NODE_CONFLICT]);
});

test('WaitForFirstConsumer: a provisioning class fits every node; a static-only class only where a volume is; PreBind selects the node and waits', async (t) => {
  const selected: string[] = [];
  const lp = claim('lp', { storageClassName: 'local-path' });
  const plugin = new VolumeBinding(access([lp, claim('st', { storageClassName: 'manual' })], [{ metadata: { name: 'static-a' }, spec: { ...onNode('a'), storageClassName: 'manual' } }], selected));
  let state = new CycleState(NOW);
  const lpPod = withClaim('lp');
  t.is(plugin.preFilter(state, lpPod).code, 'success');
  t.is(plugin.filter(state, lpPod, nodeA).code, 'success');
  t.is(plugin.filter(state, lpPod, nodeB).code, 'success');
  t.is((await plugin.preBind(state, lpPod, 'b')).code, 'success');
  t.deepEqual(selected, ['default/lp@b']);
  state = new CycleState(NOW);
  const stPod = withClaim('st');
  t.is(plugin.preFilter(state, stPod).code, 'success');
  t.is(plugin.filter(state, stPod, nodeA).code, 'success');
  t.deepEqual(plugin.filter(state, stPod, nodeB).reasons, [REASON_NO_VOLUME]);
});

test('PreBind gives up after its timeout when the claim never binds', async (t) => {
  const a = access([claim('lp', { storageClassName: 'local-path' })], []);
  const plugin = new VolumeBinding({ ...a, selectNode: async () => {} }, 50);
  const state = new CycleState(NOW);
  const pod = withClaim('lp');
  plugin.preFilter(state, pod);
  const s = await plugin.preBind(state, pod, 'a');
  t.is(s.code, 'error');
  t.regex(s.reasons[0] ?? '', /timed out waiting for the condition/);
});
