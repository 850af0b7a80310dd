import test from 'ava';
import { pruneObject, knownFields, hasSchema } from './prune.js';
import { createRequire } from 'node:module';
import { formatFieldError } from '../errors.js';
import { KUBERNETES_TYPES_VERSION } from './known-fields.js';

test('the schema covers the supported kinds and the Kubernetes pod surface', (t) => {
  for (const kind of ['Namespace', 'Pod', 'Node', 'Event', 'ConfigMap', 'Secret', 'Lease', 'ReplicaSet', 'Deployment', 'Service', 'Endpoints', 'EndpointSlice', 'ServiceAccount', 'Role']) t.true(hasSchema(kind), kind);
  t.false(hasSchema('Ingress'));
  // Two API groups each define an EndpointPort: both are kept, the later one qualified.
  t.true(knownFields('EndpointPort').includes('appProtocol'));
  t.true(knownFields('CoreV1EndpointPort').includes('port'));
  const podSpec = knownFields('PodSpec');
  for (const f of ['containers', 'initContainers', 'volumes', 'affinity', 'tolerations', 'nodeSelector', 'hostNetwork', 'imagePullSecrets', 'dnsPolicy', 'serviceAccountName', 'priority', 'securityContext', 'topologySpreadConstraints']) {
    t.true(podSpec.includes(f), f);
  }
  const container = knownFields('Container');
  for (const f of ['env', 'envFrom', 'ports', 'resources', 'livenessProbe', 'readinessProbe', 'startupProbe', 'securityContext', 'volumeMounts', 'lifecycle']) {
    t.true(container.includes(f), f);
  }
  for (const f of ['emptyDir', 'hostPath', 'configMap', 'secret', 'persistentVolumeClaim', 'projected', 'downwardAPI', 'nfs', 'csi']) {
    t.true(knownFields('Volume').includes(f), f);
  }
});

test('prunes unknown fields at every depth, drops nulls, keeps known ones', (t) => {
  const { object, result } = pruneObject({
    apiVersion: 'v1', kind: 'Pod', oops: 1,
    metadata: { name: 'p', creationTimestamp: null, labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i', imagee: 'x', ports: [{ containerPort: 80, hostPorrt: 1 }] }], nodeSelector: { zone: 'a' } },
  }, 'Pod');
  t.deepEqual(result.warnings, ['unknown field "oops"', 'unknown field "spec.containers[0].imagee"', 'unknown field "spec.containers[0].ports[0].hostPorrt"']);
  t.deepEqual(result.errors, []);
  t.deepEqual(object, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { a: 'b' } },
    spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80 }] }], nodeSelector: { zone: 'a' } },
  });
});

test('type checks, canonical quantities, times, int-or-string', (t) => {
  const { object, result } = pruneObject({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', creationTimestamp: 'yesterday' },
    spec: {
      replicas: 1.5, paused: 'no', strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } },
      selector: { matchLabels: { app: 'x' } },
      template: { spec: { containers: [{ name: 'c', image: 'i', resources: { limits: { cpu: 2, memory: '1024Mi' }, requests: { cpu: '1.5x' } } }] } },
    },
  }, 'Deployment');
  t.deepEqual(result.errors.map(formatFieldError), [
    'metadata.creationTimestamp: Invalid value: "yesterday": must be a time in RFC 3339 format (e.g. 2006-01-02T15:04:05Z)',
    'spec.replicas: Invalid value: 1.5: must be an integer',
    'spec.paused: Invalid value: "no": must be a boolean',
    "spec.template.spec.containers[0].resources.requests.cpu: Invalid value: \"1.5x\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
  ]);
  t.deepEqual(result.removed, ['metadata.creationTimestamp', 'spec.replicas', 'spec.paused', 'spec.template.spec.containers[0].resources.requests.cpu']);
  const spec = (object['spec'] as Record<string, any>);
  t.deepEqual(spec['template'].spec.containers[0].resources, { limits: { cpu: '2', memory: '1Gi' }, requests: {} });
  t.deepEqual(spec['strategy'], { rollingUpdate: { maxSurge: 1, maxUnavailable: '10%' } });
});

test('required fields of the OpenAPI spec, but not in status', (t) => {
  const { result } = pruneObject({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' },
    spec: { containers: [{ image: 'i', ports: [{}], env: [{ value: 'x' }] }] },
    status: { containerStatuses: [{ name: 'c' }] },
  }, 'Pod');
  t.deepEqual(result.errors.map(formatFieldError), [
    'spec.containers[0].ports[0].containerPort: Required value',
    'spec.containers[0].env[0].name: Required value',
    'spec.containers[0].name: Required value',
  ]);
  t.deepEqual(pruneObject({ apiVersion: 'v1', kind: 'Pod', metadata: {} }, 'Pod').result.errors, [], 'spec is optional for the schema');
  t.deepEqual(pruneObject({ apiVersion: 'v1', kind: 'Pod' }, 'Pod').result.errors.map(formatFieldError), []);
});

test('wrong shapes: lists, maps, objects, null items', (t) => {
  const { result } = pruneObject({
    apiVersion: 'v1', kind: 'Pod', metadata: 'x',
    spec: { containers: [null, 'c'], nodeSelector: ['a'], tolerations: {} },
  }, 'Pod');
  t.deepEqual(result.errors.map(formatFieldError), [
    'metadata: Invalid value: "x": must be an object',
    'spec.containers[0]: Invalid value: null: must not be null',
    'spec.containers[1]: Invalid value: "c": must be an object',
    'spec.nodeSelector: Invalid value: ["a"]: must be an object',
    'spec.tolerations: Invalid value: {}: must be a list',
  ]);
});

test('status-only walks', (t) => {
  const { object, result } = pruneObject({ kind: 'Pod', spec: { whatever: 1 }, status: { phase: 'Running', hostIP: 5, nope: 1 } }, 'Pod', ['status']);
  t.deepEqual(object, { status: { phase: 'Running' } });
  t.deepEqual(result.warnings, ['unknown field "status.nope"']);
  t.deepEqual(result.errors.map(formatFieldError), ['status.hostIP: Invalid value: 5: must be a string']);
});

test('the generated table matches the installed kubernetes-types (rerun gen-schema.mjs after upgrading it)', (t) => {
  const require = createRequire(import.meta.url);
  const { version } = require('kubernetes-types/package.json') as { version: string };
  t.is(KUBERNETES_TYPES_VERSION, version);
});

test('an unknown field whose name holds a line break is named in one line (fuzz, seed 7, case 3690)', (t) => {
  const { result } = pruneObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' }, '\n': [] }, 'Namespace');
  t.deepEqual(result.warnings, ['unknown field "\\n"']);
});
