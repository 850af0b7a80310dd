import test from 'ava';
import type { KubeObject } from '../types.js';
import { applyDefaults } from './index.js';

const run = <T extends KubeObject>(o: T): T => { applyDefaults(o); return o; };

test('deployment and replicaset defaults', (t) => {
  const d = run({ kind: 'Deployment', spec: { selector: {}, template: { spec: { containers: [{ name: 'c', image: 'x' }] } } } } as KubeObject) as Record<string, any>;
  t.is(d.spec.replicas, 1);
  t.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  t.is(d.spec.revisionHistoryLimit, 10);
  t.is(d.spec.progressDeadlineSeconds, 600);
  t.is(d.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  const recreate = run({ kind: 'Deployment', spec: { replicas: 0, strategy: { type: 'Recreate' } } } as KubeObject) as Record<string, any>;
  t.is(recreate.spec.replicas, 0);
  t.deepEqual(recreate.spec.strategy, { type: 'Recreate' });
  const rs = run({ kind: 'ReplicaSet', spec: { selector: {} } } as KubeObject) as Record<string, any>;
  t.is(rs.spec.replicas, 1);
});

test('secret, namespace and node defaults', (t) => {
  const s = run({ kind: 'Secret', data: { a: 'eA==' }, stringData: { b: 'hello', a: 'y' } } as KubeObject) as Record<string, any>;
  t.is(s.type, 'Opaque');
  t.deepEqual(s.data, { a: 'eQ==', b: 'aGVsbG8=' }, 'stringData wins and is encoded');
  t.is(s.stringData, undefined);
  t.is((run({ kind: 'Secret', type: 'kubernetes.io/tls' } as KubeObject) as Record<string, any>).type, 'kubernetes.io/tls');
  const ns = run({ kind: 'Namespace', metadata: { name: 'team', labels: { env: 'dev' } } } as KubeObject);
  t.deepEqual(ns.metadata?.labels, { env: 'dev', 'kubernetes.io/metadata.name': 'team' });
  const node = run({ kind: 'Node', status: { capacity: { cpu: '4' } } } as KubeObject) as Record<string, any>;
  t.deepEqual(node.status.allocatable, { cpu: '4' });
  const node2 = run({ kind: 'Node', status: { capacity: { cpu: '4' }, allocatable: { cpu: '3' } } } as KubeObject) as Record<string, any>;
  t.deepEqual(node2.status.allocatable, { cpu: '3' });
  t.deepEqual(run({ kind: 'Lease', spec: {} } as KubeObject), { kind: 'Lease', spec: {} });
});
