import test from 'ava';
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { formatFieldError } from '../errors.js';
import { validatePodSpec, validateResourceRequirements, validateTolerations, validatePodStatus } from './pod.js';

const c = (over: Partial<Container> = {}): Container => ({ name: 'web', image: 'nginx', ...over });
const check = (spec: Partial<PodSpec>): string[] => validatePodSpec({ containers: [c()], ...spec } as PodSpec, 'spec').map(formatFieldError);

test('a minimal spec is valid', (t) => {
  t.deepEqual(check({}), []);
});

test('containers: required, names, images, duplicates', (t) => {
  t.deepEqual(check({ containers: [] }), ['spec.containers: Required value']);
  t.deepEqual(check({ containers: [c({ image: '' })] }), ['spec.containers[0].image: Required value']);
  t.deepEqual(check({ containers: [c({ image: ' nginx' })] }), ['spec.containers[0].image: Invalid value: " nginx": must not have leading or trailing whitespace']);
  t.deepEqual(check({ containers: [c({ name: '' })] }), ['spec.containers[0].name: Required value']);
  t.regex(check({ containers: [c({ name: 'Web' })] })[0] ?? '', /^spec.containers\[0\].name: Invalid value: "Web": a lowercase RFC 1123 label/);
  t.deepEqual(check({ containers: [c(), c()] }), ['spec.containers[1].name: Duplicate value: "web"']);
  t.deepEqual(check({ initContainers: [c()], containers: [c()] }), ['spec.containers[0].name: Duplicate value: "web"']);
  t.deepEqual(check({ containers: [c({ imagePullPolicy: 'Sometimes' })] }), ['spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"']);
});

test('ports', (t) => {
  t.deepEqual(check({ containers: [c({ ports: [{ containerPort: 0, protocol: 'TCP' }] })] }), ['spec.containers[0].ports[0].containerPort: Required value']);
  t.deepEqual(check({ containers: [c({ ports: [{ containerPort: 70000, protocol: 'TCP' }] })] }), ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']);
  t.deepEqual(check({ containers: [c({ ports: [{ containerPort: 80, hostPort: -1, protocol: 'TCP' }] })] }), ['spec.containers[0].ports[0].hostPort: Invalid value: -1: must be between 1 and 65535, inclusive']);
  t.deepEqual(check({ containers: [c({ ports: [{ containerPort: 80, protocol: 'ICMP' }] })] }), ['spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']);
  t.deepEqual(check({ containers: [c({ ports: [{ containerPort: 80 }] })] }), ['spec.containers[0].ports[0].protocol: Required value'], 'defaulting sets TCP before validation');
  t.deepEqual(check({ containers: [c({ ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { name: 'http', containerPort: 81, protocol: 'TCP' }] })] }), ['spec.containers[0].ports[1].name: Duplicate value: "http"']);
  t.deepEqual(check({ hostNetwork: true, containers: [c({ ports: [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }] })] }), ['spec.containers[0].ports[0].hostPort: Invalid value: 8080: must match `containerPort` when `hostNetwork` is true']);
});

test('resources', (t) => {
  const r = (res: Container['resources']): string[] => validateResourceRequirements(res, 'r').map(formatFieldError);
  t.deepEqual(r({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }), []);
  t.deepEqual(r({ requests: { cpu: '2' }, limits: { cpu: '1' } }), ['r.requests: Invalid value: "2": must be less than or equal to cpu limit of 1']);
  t.deepEqual(r({ requests: { cpu: '-1' } }), ['r.requests.cpu: Invalid value: "-1": must be greater than or equal to 0']);
  t.deepEqual(r({ requests: { gpu: '1' } }), ['r.requests.gpu: Invalid value: "gpu": must be a standard resource for containers']);
  t.deepEqual(r({ requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '1' } }), []);
  t.deepEqual(r({ requests: { 'example.com/gpu': '1' } }), ['r.limits: Required value: Limit must be set for non overcommitable resources']);
  t.deepEqual(r({ requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '2' } }), ['r.requests: Invalid value: "1": must be equal to example.com/gpu limit of 2']);
  t.deepEqual(r({ limits: { 'example.com/gpu': '500m' }, requests: { 'example.com/gpu': '500m' } }), [
    'r.limits[example.com/gpu]: Invalid value: "500m": must be an integer', 'r.requests[example.com/gpu]: Invalid value: "500m": must be an integer',
  ]);
  t.deepEqual(r({ limits: { 'hugepages-2Mi': '4Mi' }, requests: { 'hugepages-2Mi': '4Mi' } }), []);
});

test('restart and DNS policy, names of references', (t) => {
  t.deepEqual(check({ restartPolicy: 'Sometimes' }), ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']);
  t.deepEqual(check({ dnsPolicy: 'Magic' }), ['spec.dnsPolicy: Unsupported value: "Magic": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"']);
  t.deepEqual(check({ dnsPolicy: 'None' }), ['spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None']);
  t.regex(check({ nodeName: 'Node_1' })[0] ?? '', /^spec.nodeName: Invalid value: "Node_1": a lowercase RFC 1123 subdomain/);
  t.deepEqual(check({ activeDeadlineSeconds: 0 }), ['spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive']);
  t.deepEqual(check({ terminationGracePeriodSeconds: -1 }), ['spec.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0']);
  t.regex(check({ nodeSelector: { 'bad key': 'x' } })[0] ?? '', /^spec.nodeSelector: Invalid value: "bad key": name part must consist of/);
});

test('volumes and mounts', (t) => {
  t.deepEqual(check({ volumes: [{ name: 'a', emptyDir: {} }, { name: 'a', emptyDir: {} }] }), ['spec.volumes[1].name: Duplicate value: "a"']);
  t.deepEqual(check({ volumes: [{ name: 'a' }] }), ['spec.volumes[0]: Required value: must specify a volume type']);
  t.deepEqual(check({ volumes: [{ name: 'a', emptyDir: {}, hostPath: { path: '/x' } }] }), ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type']);
  t.deepEqual(check({ volumes: [{ name: 'a', secret: {} }] }), ['spec.volumes[0].secret.secretName: Required value']);
  t.deepEqual(check({ containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/data' }] })] }), ['spec.containers[0].volumeMounts[0].name: Invalid value: "data": not found: no volume of this name in spec.volumes']);
  t.deepEqual(check({ volumes: [{ name: 'data', emptyDir: {} }], containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d' }, { name: 'data', mountPath: '/d' }] })] }), ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique']);
  t.deepEqual(check({ volumes: [{ name: 'data', emptyDir: {} }], containers: [c({ volumeMounts: [{ name: 'data', mountPath: '/d', subPath: '../x' }] })] }), ['spec.containers[0].volumeMounts[0].subPath: Invalid value: "../x": must not contain \'..\'']);
});

test('env and probes', (t) => {
  t.regex(check({ containers: [c({ env: [{ name: '1X', value: 'a' }] })] })[0] ?? '', /^spec.containers\[0\].env\[0\].name: Invalid value: "1X": a valid environment variable name/);
  t.deepEqual(check({ containers: [c({ env: [{ name: 'X', value: 'a', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] })] }), ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty']);
  t.deepEqual(check({ containers: [c({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } }] })] }).length, 1);
  t.deepEqual(check({ containers: [c({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } }] })] }), []);
  t.deepEqual(check({ containers: [c({ livenessProbe: {} })] }), ['spec.containers[0].livenessProbe: Required value: must specify a handler type']);
  t.deepEqual(check({ containers: [c({ livenessProbe: { exec: { command: ['true'] }, tcpSocket: { port: 80 } } })] }), ['spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type']);
  t.deepEqual(check({ containers: [c({ livenessProbe: { exec: { command: ['true'] }, successThreshold: 2 } })] }), ['spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1']);
  t.deepEqual(check({ containers: [c({ readinessProbe: { httpGet: { port: 'HTTP!' }, periodSeconds: -1 } })] }), [
    'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "HTTP!": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    'spec.containers[0].readinessProbe.httpGet.port: Invalid value: "HTTP!": must contain at least one letter (a-z)',
    'spec.containers[0].readinessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0',
  ]);
  t.deepEqual(check({ initContainers: [c({ name: 'init', readinessProbe: { exec: { command: ['x'] } } })] }), ['spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always']);
  t.deepEqual(check({ initContainers: [c({ name: 'side', restartPolicy: 'Always', readinessProbe: { exec: { command: ['x'] } } })] }), []);
  t.deepEqual(check({ containers: [c({ restartPolicy: 'Always' })] }), ['spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers']);
});

test('tolerations', (t) => {
  const v = (tol: NonNullable<PodSpec['tolerations']>): string[] => validateTolerations(tol, 't').map(formatFieldError);
  t.deepEqual(v([{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }, { operator: 'Exists' }, { key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]), []);
  t.deepEqual(v([{ operator: 'Equal', value: 'v' }]), ['t[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"']);
  t.deepEqual(v([{ key: 'k', operator: 'Exists', value: 'v' }]).length, 1);
  t.deepEqual(v([{ key: 'k', operator: 'Like' }]), ['t[0].operator: Unsupported value: "Like": supported values: "Equal", "Exists"']);
  t.deepEqual(v([{ key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }]), ["t[0].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"]);
  t.deepEqual(v([{ key: 'k', effect: 'Evict' }]), ['t[0].effect: Unsupported value: "Evict": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"']);
});

test('affinity and topology spread', (t) => {
  t.deepEqual(check({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } }), [
    'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term',
  ]);
  t.deepEqual(check({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'In' }, { key: 'b', operator: 'Gt', values: ['x'] }, { key: 'c', operator: 'Near' }] }] } } } }), [
    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
    'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[2].operator: Invalid value: "Near": not a valid selector operator',
  ]);
  t.deepEqual(check({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: {} }] } } }), ['spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100']);
  // Kubernetes reports an empty topologyKey as required and, through ValidateLabelName, as an invalid name.
  const anti = 'spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]';
  t.deepEqual(check({ affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: '' }] } } }).slice(0, 2), [
    `${anti}.topologyKey: Required value: can not be empty`,
    `${anti}.topologyKey: Invalid value: "": name part must be non-empty`,
  ]);
  t.deepEqual(check({ affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 101, podAffinityTerm: { topologyKey: 'zone', namespaces: ['Bad_NS'], matchLabelKeys: ['rev'] } }] } } }), [
    'spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 101: must be in the range 1-100',
    'spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.namespace: Invalid value: "Bad_NS": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')',
    'spec.affinity.podAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.matchLabelKeys: Forbidden: must not be specified when labelSelector is not set',
  ]);
  t.deepEqual(check({ affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone', labelSelector: {}, matchLabelKeys: ['rev'], mismatchLabelKeys: ['rev'] }] } } }), [
    'spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].matchLabelKeys[0]: Invalid value: "rev": exists in both matchLabelKeys and mismatchLabelKeys',
  ]);
  t.deepEqual(check({ topologySpreadConstraints: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Whatever' }] }), [
    'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
    'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Whatever": supported values: "DoNotSchedule", "ScheduleAnyway"',
  ]);
  type Constraint = NonNullable<PodSpec['topologySpreadConstraints']>[number];
  const zone = (o: Partial<Constraint>): Constraint => ({ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', ...o });
  t.deepEqual(check({ topologySpreadConstraints: [zone({}), zone({ topologyKey: '' }), zone({ whenUnsatisfiable: 'ScheduleAnyway' }), zone({})] }), [
    'spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: "{zone, DoNotSchedule}"',
    'spec.topologySpreadConstraints[1].topologyKey: Required value: can not be empty',
  ]);
  t.deepEqual(check({ topologySpreadConstraints: [zone({ whenUnsatisfiable: 'ScheduleAnyway', minDomains: 0, nodeTaintsPolicy: 'Always' })] }), [
    'spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: must be greater than zero',
    'spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway',
    'spec.topologySpreadConstraints[0].nodeTaintsPolicy: Unsupported value: "Always": supported values: "Honor", "Ignore"',
  ]);
  t.deepEqual(check({ topologySpreadConstraints: [zone({ labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['app'] })] }), [
    'spec.topologySpreadConstraints[0].matchLabelKeys[0]: Invalid value: "app": exists in both matchLabelKeys and labelSelector',
  ]);
  t.deepEqual(check({ topologySpreadConstraints: [{ topologyKey: 'zone' } as Constraint] }), [
    'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero',
    'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "": supported values: "DoNotSchedule", "ScheduleAnyway"',
  ], 'both are required');
});

test('pod status', (t) => {
  t.deepEqual(validatePodStatus({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'Maybe' }], containerStatuses: [{ name: 'c', restartCount: -1, ready: true, image: 'i', imageID: '' }] } }, undefined).map(formatFieldError), [
    'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
    'status.containerStatuses[0].restartCount: Invalid value: -1: must be greater than or equal to 0',
  ]);
  t.deepEqual(validatePodStatus({ status: { phase: 'Failed' } }, { status: { phase: 'Failed' } }), []);
});
