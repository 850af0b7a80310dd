import test from 'ava';
import { formatFieldError } from '../errors.js';
import { validateConfigMap, validateEvent, validateLease, validateNamespace, validateNode, validateSecret, MAX_DATA_SIZE } from './core.js';

const fmt = (errs: ReturnType<typeof validateNode>): string[] => errs.map(formatFieldError);

test('node taints, CIDRs and status', (t) => {
  t.deepEqual(fmt(validateNode({ spec: { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }] } })), []);
  t.deepEqual(fmt(validateNode({ spec: { taints: [{ key: 'k', effect: 'Evict' }] } })), ['spec.taints[0].effect: Unsupported value: "Evict": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']);
  t.deepEqual(fmt(validateNode({ spec: { taints: [{ key: 'k', effect: '' }] } })), ['spec.taints[0].effect: Required value']);
  t.deepEqual(fmt(validateNode({ spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', value: 'other', effect: 'NoSchedule' }] } })), [
    'spec.taints[1]: Duplicate value: {"key":"k","value":"other","effect":"NoSchedule"}: taints must be unique by key and effect pair',
  ]);
  t.regex(fmt(validateNode({ spec: { taints: [{ key: 'bad key', effect: 'NoSchedule' }] } }))[0] ?? '', /^spec.taints\[0\].key: Invalid value: "bad key"/);
  t.deepEqual(fmt(validateNode({ spec: { podCIDR: '10.0.0.0' } })), ['spec.podCIDR: Invalid value: "10.0.0.0": must be a valid CIDR (e.g. 198.18.0.0/24)']);
  t.deepEqual(fmt(validateNode({ spec: { podCIDR: '10.244.1.0/24' } })), []);
  t.deepEqual(fmt(validateNode({
    status: {
      capacity: { cpu: '-1' }, conditions: [{ type: 'Ready', status: 'Yes' }], addresses: [{ type: 'Public', address: '1.2.3.4' }],
      daemonEndpoints: { kubeletEndpoint: { Port: 70000 } },
    },
  })), [
    'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0',
    'status.conditions[0].status: Unsupported value: "Yes": supported values: "True", "False", "Unknown"',
    'status.addresses[0].type: Unsupported value: "Public": supported values: "Hostname", "InternalIP", "ExternalIP", "InternalDNS", "ExternalDNS"',
    'status.daemonEndpoints.kubeletEndpoint.Port: Invalid value: 70000: must be between 0 and 65535, inclusive',
  ]);
});

test('events', (t) => {
  const ev = { metadata: { name: 'web.1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' }, type: 'Normal', reason: 'Scheduled' };
  t.deepEqual(validateEvent(ev), []);
  t.deepEqual(validateEvent({ ...ev, involvedObject: { kind: 'Node', name: 'n1' } }), [], 'cluster-scoped objects: events in default');
  t.deepEqual(fmt(validateEvent({ ...ev, involvedObject: { kind: 'Pod', name: 'web', namespace: 'team' } })), ['involvedObject.namespace: Invalid value: "team": does not match event.namespace']);
  t.deepEqual(fmt(validateEvent({ ...ev, type: 'Error', count: -1 })), ['type: Unsupported value: "Error": supported values: "Normal", "Warning"', 'count: Invalid value: -1: must be greater than or equal to 0']);
  t.deepEqual(fmt(validateEvent({ ...ev, involvedObject: {} })), ['involvedObject.kind: Required value', 'involvedObject.name: Required value']);
});

test('config maps', (t) => {
  t.deepEqual(validateConfigMap({ data: { 'app.yaml': 'x', KEY: 'y' }, binaryData: { 'blob.bin': 'AAEC' } }), []);
  t.regex(fmt(validateConfigMap({ data: { 'a/b': 'x' } }))[0] ?? '', /^data\[a\/b\]: Invalid value: "a\/b": a valid config key must consist of alphanumeric characters/);
  t.deepEqual(fmt(validateConfigMap({ data: { a: 'x' }, binaryData: { a: 'AA==' } })), ['data.a: Invalid value: "a": duplicate of key present in binaryData']);
  t.deepEqual(fmt(validateConfigMap({ binaryData: { a: 'not base64!' } })), ['binaryData.a: Invalid value: must be base64-encoded']);
  t.deepEqual(fmt(validateConfigMap({ data: { a: 'x'.repeat(MAX_DATA_SIZE) } })), ['data: Too long: may not be more than 1048576 bytes']);
});

test('secrets', (t) => {
  t.deepEqual(validateSecret({ type: 'Opaque', data: { password: 'cGFzcw==' } }), []);
  t.deepEqual(fmt(validateSecret({ data: { password: 'pass' + '!' } })), ['data.password: Invalid value: "<secret contents redacted>": must be base64-encoded']);
  t.deepEqual(fmt(validateSecret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })), ['data[tls.key]: Required value']);
  t.deepEqual(fmt(validateSecret({ type: 'kubernetes.io/basic-auth', data: {} })), ['data.username: Required value', 'data.password: Required value']);
  const notJson = Buffer.from('{nope').toString('base64');
  t.regex(fmt(validateSecret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': notJson } }))[0] ?? '', /^data\[\.dockerconfigjson\]: Invalid value: "<secret contents redacted>": /);
  const json = Buffer.from('{"auths":{}}').toString('base64');
  t.deepEqual(validateSecret({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': json } }), []);
  t.deepEqual(fmt(validateSecret({ type: 'kubernetes.io/service-account-token' })), ['metadata.annotations[kubernetes.io/service-account.name]: Required value']);
});

test('namespaces and leases', (t) => {
  t.deepEqual(validateNamespace({ spec: { finalizers: ['kubernetes'] } }), []);
  t.is(validateNamespace({ spec: { finalizers: ['bad name'] } }).length, 1);
  t.deepEqual(validateLease({ spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40, leaseTransitions: 0 } }), []);
  t.deepEqual(fmt(validateLease({ spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } })), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
  ]);
});
