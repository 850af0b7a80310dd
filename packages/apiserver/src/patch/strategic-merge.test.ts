import test from 'ava';
import { ApiError } from '@tugboat/api';
import { applyStrategicMergePatch } from './strategic-merge.js';
import type { JsonObject } from './json.js';

const smp = (kind: string, doc: unknown, patch: unknown): JsonObject =>
  applyStrategicMergePatch(kind, doc as JsonObject, JSON.stringify(patch));

/** The Deployment of Kubernetes' "Update API Objects in Place Using kubectl patch" task. */
const deployment = (): JsonObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'patch-demo', finalizers: ['a', 'b'] },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'nginx' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
    template: {
      metadata: { labels: { app: 'nginx' } },
      spec: {
        containers: [{ name: 'patch-demo-ctr', image: 'nginx', env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }],
        tolerations: [{ effect: 'NoSchedule', key: 'dedicated', value: 'test-team' }],
      },
    },
  },
});
const podSpec = (d: JsonObject): JsonObject => ((d['spec'] as JsonObject)['template'] as JsonObject)['spec'] as JsonObject;
const containers = (d: JsonObject): JsonObject[] => podSpec(d)['containers'] as JsonObject[];

test('containers merge on name: a new container goes first, as in the Kubernetes docs', (t) => {
  const out = smp('Deployment', deployment(), { spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr-2', image: 'redis' }] } } } });
  t.deepEqual(containers(out).map((c) => [c['name'], c['image']]), [['patch-demo-ctr-2', 'redis'], ['patch-demo-ctr', 'nginx']]);
});

test('tolerations have no patch strategy: the list is replaced whole', (t) => {
  const out = smp('Deployment', deployment(), { spec: { template: { spec: { tolerations: [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }] } } } });
  t.deepEqual(podSpec(out)['tolerations'], [{ effect: 'NoSchedule', key: 'disktype', value: 'ssd' }]);
});

test('an existing container merges field by field, env merges on name, null deletes', (t) => {
  const out = smp('Deployment', deployment(), {
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'patch-demo-ctr', image: 'nginx:2', env: [{ name: 'B', value: 'two' }, { name: 'C', value: '3' }] }] } } },
    metadata: { finalizers: null },
  });
  t.is((out['spec'] as JsonObject)['replicas'], 3);
  t.deepEqual(containers(out), [{
    name: 'patch-demo-ctr', image: 'nginx:2',
    env: [{ name: 'A', value: '1' }, { name: 'B', value: 'two' }, { name: 'C', value: '3' }],
  }]);
  t.false('finalizers' in (out['metadata'] as JsonObject));
});

test('$patch: delete removes a list item by merge key; $patch: replace replaces a list or a map', (t) => {
  const del = smp('Deployment', deployment(), { spec: { template: { spec: { containers: [{ name: 'patch-demo-ctr', env: [{ name: 'A', $patch: 'delete' }] }] } } } });
  t.deepEqual(containers(del)[0]!['env'], [{ name: 'B', value: '2' }]);

  const rep = smp('Deployment', deployment(), { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }, { $patch: 'replace' }] } } } });
  t.deepEqual(containers(rep), [{ name: 'only', image: 'x' }]);

  const mapRep = smp('Deployment', deployment(), { spec: { selector: { $patch: 'replace', matchLabels: { app: 'web' } } } });
  t.deepEqual((mapRep['spec'] as JsonObject)['selector'], { matchLabels: { app: 'web' } });

  const mapDel = smp('Deployment', deployment(), { spec: { strategy: { $patch: 'delete' } } });
  t.deepEqual((mapDel['spec'] as JsonObject)['strategy'], {});
});

test('$retainKeys clears the other keys (DeploymentStrategy to Recreate, as in the docs)', (t) => {
  const out = smp('Deployment', deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } });
  t.deepEqual((out['spec'] as JsonObject)['strategy'], { type: 'Recreate' });
  const err = t.throws(() => smp('Deployment', deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: {} } } }));
  t.true(err instanceof ApiError && err.reason === 'BadRequest' && err.message === 'invalid patch format of retainKeys');
});

test('volumes (merge,retainKeys on name): kubectl apply switching a volume source', (t) => {
  const pod = { spec: { volumes: [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c' } }] } };
  const out = smp('Pod', pod, { spec: { volumes: [{ $retainKeys: ['hostPath', 'name'], name: 'data', hostPath: { path: '/d' } }] } });
  t.deepEqual((out['spec'] as JsonObject)['volumes'], [{ name: 'data', hostPath: { path: '/d' } }, { name: 'cfg', configMap: { name: 'c' } }]);
});

test('finalizers merge as a set; $deleteFromPrimitiveList removes; $setElementOrder orders', (t) => {
  const add = smp('Deployment', deployment(), { metadata: { finalizers: ['c', 'a'] } });
  t.deepEqual((add['metadata'] as JsonObject)['finalizers'], ['c', 'a', 'b']);

  const del = smp('Deployment', deployment(), { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } });
  t.deepEqual((del['metadata'] as JsonObject)['finalizers'], ['b']);

  // What kubectl apply sends when the manifest's finalizers go from [a, b] to [b, c].
  const applied = smp('Deployment', deployment(), {
    metadata: { '$setElementOrder/finalizers': ['b', 'c'], '$deleteFromPrimitiveList/finalizers': ['a'], finalizers: ['c'] },
  });
  t.deepEqual((applied['metadata'] as JsonObject)['finalizers'], ['b', 'c']);
});

test('$setElementOrder orders merged containers, server-only items keep their live place', (t) => {
  const pod = { spec: { containers: [{ name: 'a', image: '1' }, { name: 'b', image: '1' }, { name: 'side', image: 'injected' }] } };
  const out = smp('Pod', pod, { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }], containers: [{ name: 'a', image: '2' }] } });
  t.deepEqual((out['spec'] as JsonObject)['containers'], [{ name: 'b', image: '1' }, { name: 'a', image: '2' }, { name: 'side', image: 'injected' }]);
  const bad = t.throws(() => smp('Pod', pod, { spec: { '$setElementOrder/containers': [{ name: 'b' }], containers: [{ name: 'a', image: '2' }] } }));
  t.true(bad instanceof ApiError && bad.reason === 'BadRequest');
});

test('ports merge on containerPort; labels merge; ownerReferences merge on uid', (t) => {
  const pod = {
    metadata: { labels: { app: 'web' }, ownerReferences: [{ uid: 'u1', name: 'rs1', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] },
    spec: { containers: [{ name: 'a', ports: [{ containerPort: 80, name: 'http' }] }] },
  };
  const out = smp('Pod', pod, {
    metadata: { labels: { tier: 'fe' }, ownerReferences: [{ uid: 'u2', name: 'rs2', kind: 'ReplicaSet', apiVersion: 'apps/v1' }] },
    spec: { containers: [{ name: 'a', ports: [{ containerPort: 443, name: 'https' }, { containerPort: 80, protocol: 'TCP' }] }] },
  });
  t.deepEqual((out['metadata'] as JsonObject)['labels'], { app: 'web', tier: 'fe' });
  t.deepEqual(((out['metadata'] as JsonObject)['ownerReferences'] as JsonObject[]).map((o) => o['uid']), ['u2', 'u1']);
  const ports = (((out['spec'] as JsonObject)['containers'] as JsonObject[])[0]!['ports']);
  t.deepEqual(ports, [{ containerPort: 443, name: 'https' }, { containerPort: 80, name: 'http', protocol: 'TCP' }]);
});

test('status conditions merge on type (a controller patching one condition)', (t) => {
  const pod = { status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'PodScheduled', status: 'True' }] } };
  const out = smp('Pod', pod, { status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  t.deepEqual((out['status'] as JsonObject)['conditions'], [{ type: 'Ready', status: 'True' }, { type: 'PodScheduled', status: 'True' }]);
});

test('a new list item or map is stored without nulls or directives', (t) => {
  const out = smp('Pod', { spec: {} }, { spec: { containers: [{ name: 'a', image: null, '$setElementOrder/env': [{ name: 'X' }], env: [{ name: 'X', value: '1' }] }] } });
  t.deepEqual((out['spec'] as JsonObject)['containers'], [{ name: 'a', env: [{ name: 'X', value: '1' }] }]);
});

test('errors: an item without its merge key, a list of lists, an unknown directive, not an object', (t) => {
  const reason = (fn: () => unknown): [string, string] => {
    const err = t.throws(fn);
    return err instanceof ApiError ? [err.reason, err.message] : ['?', String(err)];
  };
  t.deepEqual(reason(() => smp('Pod', { spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ image: 'nginx' }] } })),
    ['BadRequest', 'map: map[image:nginx] does not contain declared merge key: name']);
  t.deepEqual(reason(() => smp('Node', { spec: { podCIDRs: ['a'] } }, { spec: { podCIDRs: [['b']] } })), ['Invalid', 'lists of lists are not supported']);
  t.is(reason(() => smp('Pod', { spec: { containers: [{ name: 'a' }] } }, { spec: { containers: [{ $patch: 'merge' }] } }))[1],
    'merging lists cannot yet be specified in the patch');
  t.is(reason(() => applyStrategicMergePatch('Pod', {}, '[1]'))[0], 'BadRequest');
  t.is(reason(() => smp('Widget', {}, {}))[1], 'strategic merge patch format is not supported');
});
