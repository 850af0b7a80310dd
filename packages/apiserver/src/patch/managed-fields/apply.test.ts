import test from 'ava';
import { ApiError, type KubeObject } from '@tugboat/api';
import { conflictCauses } from './conflict.js';
import { recordUpdate } from './update.js';
import { serverSideApply } from './apply.js';

const now = new Date('2025-01-02T03:04:05.678Z');
const later = new Date('2025-01-02T04:00:00Z');

interface Entry { manager: string; operation: string; apiVersion: string; time?: string; fieldsType: string; fieldsV1: Record<string, unknown>; subresource?: string }
const entries = (o: KubeObject): Entry[] => (o.metadata?.managedFields ?? []) as unknown as Entry[];
const entry = (o: KubeObject, manager: string): Entry | undefined => entries(o).find((e) => e.manager === manager);
const spec = (o: KubeObject): Record<string, unknown> => o['spec'] as Record<string, unknown>;
const podSpec = (o: KubeObject): Record<string, unknown> => (spec(o)['template'] as { spec: Record<string, unknown> }).spec;

/** What `kubectl apply --server-side` sends for a small Deployment. */
function manifest(over: { replicas?: number; image?: string; containers?: unknown[]; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: over.labels ?? { app: 'web' } },
    spec: {
      ...(over.replicas === undefined ? {} : { replicas: over.replicas }),
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: over.containers ?? [{ name: 'web', image: over.image ?? 'nginx:1.27', ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

/** The registry's part, simplified: identity and defaults the server adds on create. */
function stored(o: KubeObject): KubeObject {
  const c = structuredClone(o);
  c.metadata = { ...c.metadata, uid: 'u-1', resourceVersion: '1', generation: 1, creationTimestamp: '2025-01-02T03:04:05Z' };
  const s = c['spec'] as Record<string, unknown>;
  s['replicas'] ??= 1;
  s['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  c['status'] = { replicas: 0 };
  return c;
}

const apply = (live: KubeObject | undefined, applied: KubeObject, manager = 'kubectl', force = false, at = now): KubeObject =>
  serverSideApply({ kind: 'Deployment', apiVersion: 'apps/v1', live, applied, manager, force, now: at });

test('apply creates: the applier owns exactly the fields it applied, in FieldsV1', (t) => {
  const created = apply(undefined, manifest({ replicas: 3 }));
  t.is(spec(created)['replicas'], 3);
  t.deepEqual(entries(created), [{
    manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: '2025-01-02T03:04:05Z', fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': {
                '.': {}, 'f:image': {}, 'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    },
  }]);
});

test('re-applying the same manifest is a no-op that keeps the time', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3 })));
  const again = apply(live, manifest({ replicas: 3 }), 'kubectl', false, later);
  t.deepEqual(again, live);
});

test('a second manager changing replicas conflicts with the message and causes Kubernetes gives', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3 })));
  const err = t.throws(() => apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } }, 'hpa'));
  t.true(err instanceof ApiError);
  t.is((err as ApiError).reason, 'Conflict');
  t.is(err?.message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas');
  t.deepEqual(conflictCauses(err), [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' }]);
});

test('applying the same value as another manager is no conflict: ownership is shared', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3 })));
  const shared = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, 'other');
  t.deepEqual(entry(shared, 'other')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.truthy((entry(shared, 'kubectl')?.fieldsV1['f:spec'] as Record<string, unknown>)['f:replicas']);
});

test('several conflicts, grouped by manager, and an Update manager is named with its version', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3 })));
  const scaled = recordUpdate({ kind: 'Deployment', apiVersion: 'apps/v1', live, next: { ...live, spec: { ...spec(live), replicas: 4, paused: true } }, manager: 'kube-controller-manager', now });
  const err = t.throws(() => apply(scaled, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: { replicas: 6, paused: false, template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } },
  }, 'ci'));
  t.is(err?.message, [
    'Apply failed with 3 conflicts: conflicts with "kube-controller-manager" using apps/v1:',
    '- .spec.paused',
    '- .spec.replicas',
    'conflicts with "kubectl":',
    '- .spec.template.spec.containers[name="web"].image',
  ].join('\n'));
  t.is(conflictCauses(err)?.length, 3);
});

test('force takes the field: ownership moves to the new manager', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3 })));
  const forced = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 5 } }, 'hpa', true);
  t.is(spec(forced)['replicas'], 5);
  t.deepEqual(entry(forced, 'hpa')?.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
  t.false('f:replicas' in (entry(forced, 'kubectl')?.fieldsV1['f:spec'] as Record<string, unknown>));
  // The first applier now leaving replicas out of its manifest does not remove it: it is hpa's.
  const reapplied = apply(stored(forced), manifest({}));
  t.is(spec(reapplied)['replicas'], 5);
});

test('a field removed from the applied configuration is removed from the object', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3, labels: { app: 'web', tier: 'fe' } })));
  const next = apply(live, manifest({ labels: { app: 'web' } }));
  t.false('replicas' in spec(next)); // defaulting brings it back in the registry, unowned
  t.deepEqual(next.metadata?.labels, { app: 'web' });
  t.is(next.metadata?.uid, 'u-1');
  t.deepEqual(next['status'], { replicas: 0 });
  t.deepEqual(spec(next)['strategy'], spec(live)['strategy'], 'fields nobody applied stay');
});

test('a field another manager also owns stays when the applier drops it', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3 })));
  const shared = stored(apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 3 } }, 'other'));
  const next = apply(shared, manifest({}));
  t.is(spec(next)['replicas'], 3);
});

test('containers merge by name: another manager\'s sidecar stays, a dropped container goes', (t) => {
  const live = stored(apply(undefined, manifest({ containers: [{ name: 'web', image: 'nginx' }, { name: 'old', image: 'busybox' }] })));
  const withSidecar = stored(apply(live, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: { template: { spec: { containers: [{ name: 'mesh', image: 'envoy' }] } } },
  }, 'injector'));
  t.deepEqual((podSpec(withSidecar)['containers'] as Array<{ name: string }>).map((c) => c.name), ['web', 'old', 'mesh']);
  const next = apply(withSidecar, manifest({ containers: [{ name: 'web', image: 'nginx:2' }] }));
  t.deepEqual(podSpec(next)['containers'], [{ name: 'web', image: 'nginx:2' }, { name: 'mesh', image: 'envoy' }]);
});

test('atomic lists (tolerations) are replaced whole and owned as one field', (t) => {
  const base = manifest();
  (podSpec(base) as Record<string, unknown>)['tolerations'] = [{ key: 'a', operator: 'Exists' }];
  const created = apply(undefined, base);
  const fields = JSON.stringify(entry(created, 'kubectl')?.fieldsV1);
  t.true(fields.includes('"f:tolerations":{}'));
  const other = apply(stored(created), {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
    spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }] } } },
  }, 'other', true);
  t.deepEqual(podSpec(other)['tolerations'], [{ key: 'b', operator: 'Exists' }]);
});

test('a controller\'s status write does not conflict with a spec apply', (t) => {
  const live = stored(apply(undefined, manifest({ replicas: 3 })));
  const withStatus = recordUpdate({
    kind: 'Deployment', apiVersion: 'apps/v1', live, subresource: 'status', manager: 'kube-controller-manager', now,
    next: { ...live, status: { replicas: 3, readyReplicas: 3, conditions: [{ type: 'Available', status: 'True' }] } },
  });
  const status = entry(withStatus, 'kube-controller-manager');
  t.is(status?.subresource, 'status');
  t.deepEqual(status?.fieldsV1, {
    'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } }, 'f:readyReplicas': {}, 'f:replicas': {} },
  });
  const next = apply(withStatus, manifest({ replicas: 4 }));
  t.is(spec(next)['replicas'], 4);
  t.deepEqual(next['status'], withStatus['status']);
  // Status in an applied manifest is not applied through the main resource, nor owned.
  const withApplied = apply(withStatus, { ...manifest({ replicas: 3 }), status: { replicas: 99 } });
  t.deepEqual(withApplied['status'], withStatus['status']);
  t.false('f:status' in (entry(withApplied, 'kubectl')?.fieldsV1 ?? {}));
});

test('metadata.managedFields in an applied configuration is a bad request', (t) => {
  const m = manifest();
  m.metadata = { ...m.metadata, managedFields: [] };
  const err = t.throws(() => apply(undefined, m));
  t.is((err as ApiError).reason, 'BadRequest');
});

test('finalizers are a set: items owned one by one', (t) => {
  const m = manifest();
  m.metadata = { ...m.metadata, finalizers: ['example.com/a'] };
  const created = apply(undefined, m);
  t.deepEqual((entry(created, 'kubectl')?.fieldsV1['f:metadata'] as Record<string, unknown>)['f:finalizers'], { 'v:"example.com/a"': {} });
  const other = apply(stored(created), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', finalizers: ['example.com/b'] } }, 'other');
  t.deepEqual(other.metadata?.finalizers, ['example.com/a', 'example.com/b']);
});

test('the first apply to an untracked object: its fields belong to "before-first-apply"', (t) => {
  const untracked = stored(manifest({ replicas: 2 }));
  const err = t.throws(() => apply(untracked, manifest({ replicas: 3 })));
  t.is(err?.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
  const same = apply(untracked, manifest({ replicas: 2 }));
  t.deepEqual(entries(same).map((e) => [e.manager, e.operation]), [['kubectl', 'Apply'], ['before-first-apply', 'Update']]);
});
