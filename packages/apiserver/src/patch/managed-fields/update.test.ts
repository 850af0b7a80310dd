import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { recordUpdate } from './update.js';

const now = new Date('2025-01-02T03:04:05Z');
const later = new Date('2025-01-02T05:00:00Z');
interface Entry { manager: string; operation: string; apiVersion: string; time?: string; fieldsV1: Record<string, unknown>; subresource?: string }
const entries = (o: KubeObject): Entry[] => (o.metadata?.managedFields ?? []) as unknown as Entry[];

/** A Deployment as `kubectl create deployment web --image=nginx` posts it (after defaulting). */
const deployment = (): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', imagePullPolicy: 'Always' }], dnsPolicy: 'ClusterFirst' } },
  },
});
const update = (live: KubeObject | undefined, next: KubeObject, manager: string, at = now, subresource?: string): KubeObject =>
  recordUpdate({ kind: 'Deployment', apiVersion: 'apps/v1', live, next, manager, now: at, ...(subresource ? { subresource } : {}) });

test('create: the creator owns every field it set, in the shape kubectl create gets from Kubernetes', (t) => {
  const created = update(undefined, deployment(), 'kubectl-create');
  t.deepEqual(entries(created), [{
    manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: '2025-01-02T03:04:05Z', fieldsType: 'FieldsV1',
    fieldsV1: {
      'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:strategy': { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} },
        'f:template': {
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
          'f:spec': {
            // resources is a struct (not a pointer) in Go: Kubernetes records the empty one as set.
            'f:containers': { 'k:{"name":"nginx"}': { '.': {}, 'f:image': {}, 'f:imagePullPolicy': {}, 'f:name': {}, 'f:resources': {} } },
            'f:dnsPolicy': {},
          },
        },
      },
    },
  } as unknown as Entry]);
});

test('an update takes the fields it changed from their owner; unchanged writes change nothing', (t) => {
  const created = update(undefined, deployment(), 'kubectl-create');
  const same = update(created, structuredClone(created), 'someone', later);
  t.deepEqual(entries(same), entries(created));

  const scaled = structuredClone(created);
  (scaled['spec'] as Record<string, unknown>)['replicas'] = 5;
  const out = update(created, scaled, 'kubectl-scale', later, 'scale');
  const es = entries(out);
  t.deepEqual(es.find((e) => e.manager === 'kubectl-scale'), {
    manager: 'kubectl-scale', operation: 'Update', apiVersion: 'apps/v1', time: '2025-01-02T05:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale',
  } as unknown as Entry);
  t.false('f:replicas' in (es.find((e) => e.manager === 'kubectl-create')!.fieldsV1['f:spec'] as Record<string, unknown>));
  t.is(es.find((e) => e.manager === 'kubectl-create')!.time, '2025-01-02T03:04:05Z');
});

test('removed fields leave every manager; a manager left with nothing is dropped', (t) => {
  const created = update(undefined, deployment(), 'kubectl-create');
  const labelled = structuredClone(created);
  labelled.metadata!.labels = { app: 'web', tier: 'fe' };
  const withTier = update(created, labelled, 'kubectl-label');
  const unlabelled = structuredClone(withTier);
  unlabelled.metadata!.labels = { app: 'web' };
  const out = update(withTier, unlabelled, 'kubectl-edit');
  t.deepEqual(entries(out).map((e) => e.manager), ['kubectl-create']);
});

test('server-owned metadata and status (for spec writes) are never owned', (t) => {
  const created = update(undefined, deployment(), 'kubectl-create');
  const next = structuredClone(created);
  next.metadata = { ...next.metadata, uid: 'x', resourceVersion: '9', generation: 2, creationTimestamp: '2025-01-01T00:00:00Z' };
  next['status'] = { replicas: 1 };
  t.deepEqual(entries(update(created, next, 'registry')), entries(created));
});

test('managedFields a client sends (edited) are taken as the starting point', (t) => {
  const created = update(undefined, deployment(), 'kubectl-create');
  const next = structuredClone(created);
  next.metadata!.managedFields = [{ manager: 'someone-else', operation: 'Update', apiVersion: 'apps/v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }];
  t.deepEqual(entries(update(created, next, 'kubectl-edit')).map((e) => e.manager), ['someone-else']);
});

test('an existing object without managed fields is not tracked by updates (only create and apply start tracking)', (t) => {
  const untracked = deployment();
  untracked.metadata = { ...untracked.metadata, uid: 'u' };
  const next = structuredClone(untracked);
  (next['spec'] as Record<string, unknown>)['replicas'] = 2;
  t.deepEqual(update(untracked, next, 'kubectl-edit'), next);
});
