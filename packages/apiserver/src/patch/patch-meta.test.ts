import test from 'ava';
import { KNOWN_FIELDS } from '@tugboat/api';
import { FIELD_PATCH_META } from './patch-meta-table.js';
import { fieldPatchMeta, listSemantics } from './patch-meta.js';

test('merge keys and strategies as Kubernetes declares them', (t) => {
  t.deepEqual(fieldPatchMeta('PodSpec', 'containers'), { strategy: 'merge', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] });
  t.deepEqual(fieldPatchMeta('PodSpec', 'volumes'), { strategy: 'merge,retainKeys', mergeKey: 'name', listType: 'map', listMapKeys: ['name'] });
  t.deepEqual(fieldPatchMeta('Container', 'ports'), { strategy: 'merge', mergeKey: 'containerPort', listType: 'map', listMapKeys: ['containerPort', 'protocol'] });
  t.is(fieldPatchMeta('Container', 'env')?.mergeKey, 'name');
  t.is(fieldPatchMeta('Container', 'volumeMounts')?.mergeKey, 'mountPath');
  t.deepEqual(fieldPatchMeta('ObjectMeta', 'finalizers'), { strategy: 'merge', listType: 'set' });
  t.is(fieldPatchMeta('ObjectMeta', 'ownerReferences')?.mergeKey, 'uid');
  t.is(fieldPatchMeta('PodStatus', 'conditions')?.mergeKey, 'type');
  t.deepEqual(fieldPatchMeta('DeploymentSpec', 'strategy'), { strategy: 'retainKeys' });
  t.is(fieldPatchMeta('ServiceSpec', 'ports')?.mergeKey, 'port');
  t.is(fieldPatchMeta('PodSpec', 'imagePullSecrets')?.mergeKey, 'name');
  t.deepEqual(fieldPatchMeta('PodSpec', 'tolerations'), { listType: 'atomic' });
  t.is(fieldPatchMeta('PodSpec', 'nodeSelector'), undefined, 'map type markers are not patch metadata');
  t.is(fieldPatchMeta('Nope', 'x'), undefined);
});

test('the workload and storage kinds: apps, batch, policy, scheduling and storage types are in the table', (t) => {
  t.deepEqual(fieldPatchMeta('StatefulSetSpec', 'volumeClaimTemplates'), { listType: 'atomic' });
  t.is(fieldPatchMeta('StatefulSetStatus', 'conditions')?.mergeKey, 'type');
  t.deepEqual(fieldPatchMeta('JobStatus', 'conditions'), { strategy: 'merge', mergeKey: 'type', listType: 'atomic' });
  t.deepEqual(fieldPatchMeta('PersistentVolumeSpec', 'accessModes'), { listType: 'atomic' });
  t.is(fieldPatchMeta('PersistentVolumeClaimStatus', 'conditions')?.mergeKey, 'type');
  t.deepEqual(fieldPatchMeta('StorageClass', 'allowedTopologies'), { listType: 'atomic' });
  t.deepEqual(fieldPatchMeta('UncountedTerminatedPods', 'succeeded'), { listType: 'set' });
  t.deepEqual(fieldPatchMeta('PodDisruptionBudgetSpec', 'selector'), { strategy: 'replace' });
  t.deepEqual(listSemantics('CronJobStatus', 'active'), { type: 'atomic' });
});

test('list semantics for server-side apply follow kube-openapi: list type, else merge strategy, else atomic', (t) => {
  t.deepEqual(listSemantics('PodSpec', 'containers'), { type: 'map', keys: ['name'] });
  t.deepEqual(listSemantics('NodeSpec', 'podCIDRs'), { type: 'set' });
  t.deepEqual(listSemantics('PodSpec', 'tolerations'), { type: 'atomic' });
  t.deepEqual(listSemantics('Container', 'args'), { type: 'atomic' });
  t.deepEqual(listSemantics(undefined, 'x'), { type: 'atomic' });
});

test('every generated entry names a type and field of the known-field schema', (t) => {
  for (const [type, fields] of Object.entries(FIELD_PATCH_META)) {
    for (const field of Object.keys(fields)) t.truthy(KNOWN_FIELDS[type]?.[field], `${type}.${field}`);
  }
});
