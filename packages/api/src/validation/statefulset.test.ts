import test from 'ava';
import { admitObject } from '../admission.js';

const claim = { metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } };
const sts = (spec: Record<string, unknown> = {}, selector: Record<string, string> = { app: 'nginx' }): Record<string, unknown> => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default' },
  spec: {
    serviceName: 'nginx', selector: { matchLabels: selector },
    template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }] }] } },
    volumeClaimTemplates: [claim],
    ...spec,
  },
});

const errors = (o: unknown, old?: unknown): string[] => {
  const r = admitObject(o, old as never);
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.type}${e.detail ? `: ${e.detail}` : ''}`);
};

test('StatefulSet defaults: OrderedReady, RollingUpdate partition 0, Retain/Retain, 1 replica, history 10', (t) => {
  const r = admitObject(sts());
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  t.like(r.object['spec'], {
    podManagementPolicy: 'OrderedReady', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' }, replicas: 1, revisionHistoryLimit: 10, minReadySeconds: 0,
  });
  t.deepEqual(r.object['status'], {});
  // A mount of a claim template is a mount of a real volume.
  t.true(r.ok);
});

test('StatefulSet validation, with Kubernetes\' messages', (t) => {
  t.deepEqual(errors(sts({}, { app: 'other' })), ['spec.template.metadata.labels: Invalid: `selector` does not match template `labels`']);
  t.deepEqual(errors(sts({}, {})), ['spec.selector: Invalid: empty selector is invalid for statefulset']);
  t.deepEqual(errors(sts({ podManagementPolicy: 'Sometimes' })), ["spec.podManagementPolicy: Invalid: must be 'OrderedReady' or 'Parallel'"]);
  t.deepEqual(errors(sts({ updateStrategy: { type: 'OnDelete', rollingUpdate: { partition: 1 } } })), ["spec.updateStrategy.rollingUpdate: Invalid: only allowed for updateStrategy 'RollingUpdate'"]);
  t.deepEqual(errors(sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } })), ['spec.updateStrategy.rollingUpdate.partition: Invalid: must be greater than or equal to 0']);
  t.deepEqual(errors(sts({ persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep', whenScaled: 'Delete' } })),
    ['spec.persistentVolumeClaimRetentionPolicy.whenDeleted: NotSupported: supported values: "Retain", "Delete"']);
  t.deepEqual(errors(sts({ replicas: -1, ordinals: { start: -2 } })), ['spec.replicas: Invalid: must be greater than or equal to 0', 'spec.ordinals.start: Invalid: must be greater than or equal to 0']);
  t.deepEqual(errors(sts({ serviceName: 'Not_A_Label' })).length, 1);
  const rp = sts();
  (rp['spec'] as { template: { spec: Record<string, unknown> } }).template.spec['restartPolicy'] = 'Never';
  t.deepEqual(errors(rp), ['spec.template.spec.restartPolicy: NotSupported: supported values: "Always"']);
  // A mount of a volume that is neither in the template nor a claim template is still an error.
  t.true(errors(sts({ volumeClaimTemplates: [] })).some((e) => e.startsWith('spec.template.spec.containers[0].volumeMounts[0].name')));
  t.deepEqual(errors(sts({ volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: {} }] })), [
    'spec.volumeClaimTemplates[0].spec.accessModes: Required: at least 1 access mode is required',
    'spec.volumeClaimTemplates[0].spec.resources.requests[storage]: Required',
  ]);
});

test('StatefulSet updates: replicas, template, updateStrategy, retention, ordinals, minReadySeconds may change; nothing else', (t) => {
  const old = admitObject(sts());
  if (!old.ok) return t.fail();
  const stored = { ...old.object, metadata: { ...old.object.metadata, uid: 'u', resourceVersion: '1', creationTimestamp: '2024-01-01T00:00:00Z', generation: 1 } };
  t.deepEqual(errors(sts({ replicas: 5, minReadySeconds: 3, updateStrategy: { type: 'OnDelete' } }), stored), []);
  const forbidden = ["spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"];
  t.deepEqual(errors(sts({ serviceName: 'other' }), stored), forbidden);
  t.deepEqual(errors(sts({ volumeClaimTemplates: [{ ...claim, metadata: { name: 'data' } }], template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx' }] } } }), stored), forbidden);
});
