import test from 'ava';
import { admitObject } from '../admission.js';

const ds = (spec: Record<string, unknown> = {}, selector: Record<string, string> = { app: 'agent' }): unknown => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' },
  spec: { selector: { matchLabels: selector }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
});

const errors = (o: unknown): string[] => {
  const r = admitObject(o);
  return r.ok ? [] : r.errors.map((e) => `${e.path}: ${e.type}${e.detail ? `: ${e.detail}` : ''}`);
};

test('DaemonSet defaults: RollingUpdate 1 / 0, revisionHistoryLimit 10, the pod spec defaults', (t) => {
  const r = admitObject(ds());
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  const spec = r.object['spec'] as { updateStrategy: unknown; revisionHistoryLimit: number; template: { spec: { restartPolicy: string } } };
  t.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  t.is(spec.revisionHistoryLimit, 10);
  t.is(spec.template.spec.restartPolicy, 'Always');
  t.deepEqual(r.object['status'], {});
  const onDelete = admitObject(ds({ updateStrategy: { type: 'OnDelete' } }));
  t.true(onDelete.ok && (onDelete.object['spec'] as { updateStrategy: unknown }).updateStrategy !== undefined);
});

test('DaemonSet validation, with Kubernetes\' messages', (t) => {
  t.deepEqual(errors(ds({}, { app: 'other' })), ['spec.template.metadata.labels: Invalid: `selector` does not match template `labels`']);
  t.deepEqual(errors(ds({}, {})), ['spec.selector: Invalid: empty selector is invalid for daemonset']);
  t.deepEqual(errors(ds({ template: { metadata: { labels: { app: 'agent' } }, spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'b' }] } } })),
    ['spec.template.spec.restartPolicy: NotSupported: supported values: "Always"']);
  t.deepEqual(errors(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } })),
    ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid: may not be set when maxUnavailable is non-zero']);
  t.deepEqual(errors(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '0%' } } })),
    ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required: cannot be 0 when maxSurge is 0']);
  t.deepEqual(errors(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '120%' } } })),
    ['spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid: must not be greater than 100%']);
  t.deepEqual(errors(ds({ updateStrategy: { type: 'Recreate' } })), ['spec.updateStrategy.type: NotSupported: supported values: "RollingUpdate", "OnDelete"']);
  t.deepEqual(errors(ds({ minReadySeconds: -1 })), ['spec.minReadySeconds: Invalid: must be greater than or equal to 0']);
});

test('DaemonSet: the selector is immutable', (t) => {
  const first = admitObject(ds());
  if (!first.ok) return t.fail();
  const changed = admitObject(ds({}, { app: 'agent', x: 'y' }), first.object);
  t.false(changed.ok);
});

const rc = (spec: Record<string, unknown>): unknown => ({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'web', namespace: 'default' }, spec });
const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };

test('ReplicationController: selector and labels default to the template labels; replicas 1', (t) => {
  const r = admitObject(rc({ template }));
  if (!r.ok) return t.fail(JSON.stringify(r.errors));
  t.deepEqual((r.object['spec'] as { selector: unknown }).selector, { app: 'web' });
  t.deepEqual(r.object.metadata?.labels, { app: 'web' });
  t.is((r.object['spec'] as { replicas: number }).replicas, 1);
});

test('ReplicationController validation', (t) => {
  t.deepEqual(errors(rc({ selector: { app: 'other' }, template })), ['spec.template.metadata.labels: Invalid: `selector` does not match template `labels`']);
  t.deepEqual(errors(rc({ selector: { app: 'web' } })), ['spec.template: Required']);
  t.deepEqual(errors(rc({ template, replicas: -1 })), ['spec.replicas: Invalid: must be greater than or equal to 0']);
});

test('ControllerRevision: data is required and immutable', (t) => {
  const cr = (data: unknown): unknown => ({ apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata: { name: 'r', namespace: 'default' }, revision: 1, ...(data === undefined ? {} : { data }) });
  t.deepEqual(errors(cr(undefined)), ['data: Required: data is mandatory']);
  const first = admitObject(cr({ a: 1 }));
  if (!first.ok) return t.fail();
  t.false(admitObject(cr({ a: 2 }), first.object).ok);
  t.true(admitObject({ ...(cr({ a: 1 }) as object), revision: 2 }, first.object).ok, 'the revision number may change');
});
