import test from 'ava';
import { ApiError } from './errors.js';
import { parseFieldSelector, objectFields, matchesFieldSelector, supportedFields, escapeFieldValue } from './fields.js';
import type { KubeObject } from './types.js';

const pod: KubeObject = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' },
  spec: { nodeName: 'node-1', restartPolicy: 'Always', schedulerName: 'default-scheduler', hostNetwork: true, containers: [] },
  status: { phase: 'Running', podIP: '10.0.0.5' },
};

test('objectFields per kind', (t) => {
  t.deepEqual(objectFields(pod), {
    'metadata.name': 'web', 'metadata.namespace': 'default', 'spec.nodeName': 'node-1', 'spec.restartPolicy': 'Always',
    'spec.schedulerName': 'default-scheduler', 'spec.serviceAccountName': '', 'spec.hostNetwork': 'true',
    'status.phase': 'Running', 'status.podIP': '10.0.0.5', 'status.nominatedNodeName': '',
  });
  t.deepEqual(objectFields({ kind: 'Node', metadata: { name: 'n1' }, spec: { unschedulable: true } }), {
    'metadata.name': 'n1', 'metadata.namespace': '', 'spec.unschedulable': 'true',
  });
  t.is(objectFields({ kind: 'Node', metadata: { name: 'n1' } })['spec.unschedulable'], 'false');
  const ev = objectFields({
    kind: 'Event', metadata: { name: 'web.1', namespace: 'default' }, reason: 'Scheduled', type: 'Normal',
    involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' }, source: { component: 'scheduler' },
  });
  t.is(ev['involvedObject.kind'], 'Pod');
  t.is(ev['involvedObject.name'], 'web');
  t.is(ev['involvedObject.namespace'], 'default');
  t.is(ev['involvedObject.uid'], 'u1');
  t.is(ev['reason'], 'Scheduled');
  t.is(ev['type'], 'Normal');
  t.is(ev['source'], 'scheduler');
  t.is(objectFields({ kind: 'Secret', metadata: { name: 's' }, type: 'Opaque' })['type'], 'Opaque');
  t.is(objectFields({ kind: 'ReplicaSet', metadata: { name: 'rs' }, status: { replicas: 3 } })['status.replicas'], '3');
  t.is(objectFields({ kind: 'ReplicaSet', metadata: { name: 'rs' } })['status.replicas'], '0');
});

test('parse and match', (t) => {
  const s = parseFieldSelector('spec.nodeName=node-1,status.phase!=Pending', 'Pod');
  t.deepEqual(s.requirements, [
    { field: 'spec.nodeName', operator: '=', value: 'node-1' },
    { field: 'status.phase', operator: '!=', value: 'Pending' },
  ]);
  t.true(matchesFieldSelector(pod, s));
  t.false(matchesFieldSelector(pod, parseFieldSelector('spec.nodeName==node-2', 'Pod')));
  t.true(matchesFieldSelector(pod, parseFieldSelector('spec.nodeName!=node-2', 'Pod')));
  t.true(matchesFieldSelector({ kind: 'Pod', metadata: { name: 'p' } }, parseFieldSelector('spec.nodeName=', 'Pod')), 'unbound pods');
  t.true(matchesFieldSelector(pod, parseFieldSelector('', 'Pod')));
  t.true(parseFieldSelector('').isEmpty());
  t.true(parseFieldSelector(' , ').isEmpty());
});

test('toString is sorted and escaped', (t) => {
  t.is(parseFieldSelector('status.phase=Running,metadata.name==web').toString(), 'metadata.name=web,status.phase=Running');
  const s = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
  t.is(s.requirements[0]?.value, 'a,b=c\\d');
  t.is(s.toString(), 'metadata.name=a\\,b\\=c\\\\d');
  t.is(escapeFieldValue('x=y'), 'x\\=y');
});

test('errors', (t) => {
  const e1 = t.throws(() => parseFieldSelector('spec.foo=bar', 'Pod'), { instanceOf: ApiError });
  t.is(e1?.reason, 'BadRequest');
  t.true(e1?.message.startsWith('field label not supported: spec.foo'));
  t.throws(() => parseFieldSelector('spec.nodeName=x', 'Node'), { message: /field label not supported: spec.nodeName/ });
  t.notThrows(() => parseFieldSelector('spec.anything=x'), 'no kind: any field');
  t.throws(() => parseFieldSelector('metadata.name'), { message: /can't understand 'metadata.name'/ });
  t.throws(() => parseFieldSelector('=x'), { message: /missing field name/ });
  t.throws(() => parseFieldSelector('metadata.name=a=b'), { message: /unescaped '='/ });
  t.throws(() => parseFieldSelector('metadata.name=a\\x'), { message: /invalid escape sequence/ });
  t.deepEqual(supportedFields('Secret'), ['metadata.name', 'metadata.namespace', 'type']);
});
