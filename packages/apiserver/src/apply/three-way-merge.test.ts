import test from 'ava';
import { threeWayMerge } from './three-way-merge.js';

test('fields the manifest sets are applied, dropped ones removed, others kept', (t) => {
  const last = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { replicas: 2, paused: true } };
  const desired = { metadata: { labels: { app: 'web' } }, spec: { replicas: 3 } };
  const live = {
    metadata: { labels: { app: 'web', tier: 'fe', 'added-by': 'someone' }, uid: 'u1' },
    spec: { replicas: 2, paused: true, revisionHistoryLimit: 10 },
    status: { replicas: 2 },
  };
  t.deepEqual(threeWayMerge(last, desired, live), {
    metadata: { labels: { app: 'web', 'added-by': 'someone' }, uid: 'u1' },
    spec: { replicas: 3, revisionHistoryLimit: 10 },
    status: { replicas: 2 },
  });
});

test('without a last-applied manifest nothing is removed', (t) => {
  const live = { spec: { a: 1, b: 2 } };
  t.deepEqual(threeWayMerge(undefined, { spec: { a: 5 } }, live), { spec: { a: 5, b: 2 } });
});

test('containers merge by name: defaults of the live container stay, dropped fields go', (t) => {
  const last = { spec: { containers: [{ name: 'app', image: 'nginx:1', command: ['x'] }, { name: 'side', image: 'busybox' }] } };
  const desired = { spec: { containers: [{ name: 'app', image: 'nginx:2' }] } };
  const live = {
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'app', image: 'nginx:1', command: ['x'], imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' },
        { name: 'side', image: 'busybox', imagePullPolicy: 'Always' },
        { name: 'injected', image: 'proxy' },
      ],
    },
  };
  t.deepEqual(threeWayMerge(last, desired, live), {
    spec: {
      nodeName: 'node-1',
      containers: [
        { name: 'app', image: 'nginx:2', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log' },
        { name: 'injected', image: 'proxy' },
      ],
    },
  });
});

test('env by name, ports by containerPort, volumeMounts by mountPath', (t) => {
  const last = {
    env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
    ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443 }],
    volumeMounts: [{ mountPath: '/data', name: 'd' }],
  };
  const desired = {
    env: [{ name: 'B', value: '3' }],
    ports: [{ containerPort: 80 }],
    volumeMounts: [{ mountPath: '/data', name: 'd2' }, { mountPath: '/cfg', name: 'c' }],
  };
  const live = {
    env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }],
    ports: [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 443, protocol: 'TCP' }],
    volumeMounts: [{ mountPath: '/data', name: 'd', readOnly: false }],
  };
  t.deepEqual(threeWayMerge(last, desired, live), {
    env: [{ name: 'B', value: '3' }],
    ports: [{ containerPort: 80 }],
    volumeMounts: [{ mountPath: '/data', name: 'd2', readOnly: false }, { mountPath: '/cfg', name: 'c' }],
  });
});

test('lists without a merge key are replaced whole', (t) => {
  const live = { spec: { tolerations: [{ key: 'a' }, { key: 'b' }], args: ['1', '2'] } };
  t.deepEqual(threeWayMerge({ spec: { args: ['1', '2'] } }, { spec: { tolerations: [{ key: 'c' }], args: ['3'] } }, live), {
    spec: { tolerations: [{ key: 'c' }], args: ['3'] },
  });
});

test('finalizers merge as a set: others\' finalizers stay', (t) => {
  const live = { metadata: { finalizers: ['mine', 'theirs'] } };
  t.deepEqual(threeWayMerge({ metadata: { finalizers: ['mine'] } }, { metadata: { finalizers: [] } }, live), { metadata: { finalizers: ['theirs'] } });
});

test('null in the manifest removes a field; a type change replaces it', (t) => {
  t.deepEqual(threeWayMerge(undefined, { a: null, b: 'x' }, { a: 1, b: { c: 1 } }), { b: 'x' });
});

test('inputs are not modified', (t) => {
  const last = { spec: { containers: [{ name: 'a', image: 'x' }] } };
  const desired = { spec: { containers: [{ name: 'a', image: 'y' }] } };
  const live = { spec: { containers: [{ name: 'a', image: 'x', imagePullPolicy: 'Always' }] } };
  const copies = structuredClone([last, desired, live]);
  threeWayMerge(last, desired, live);
  t.deepEqual([last, desired, live], copies);
});
