import test from 'ava';
import { admitObject, admitStatus, defaultObject, isTooLarge, MAX_OBJECT_BYTES, type Admission } from './admission.js';
import { formatFieldError, type FieldError } from './errors.js';
import type { KubeObject } from './types.js';

// Tests poke into nested fields freely; the API's own types are checked by the compiler elsewhere.
type Json = Record<string, any>;

function errorsOf(r: Admission): string[] {
  if (r.ok) throw new Error(`expected errors, got ok: ${JSON.stringify(r.object)}`);
  return r.errors.map(formatFieldError);
}

function objectOf(r: Admission): KubeObject & Json {
  if (!r.ok) throw new Error(`expected ok, got: ${r.errors.map(formatFieldError).join('; ')}`);
  return r.object as KubeObject & Json;
}

const goodPod = (): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
});

const goodDeployment = (): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  },
});

test('acceptance: container without image, upper-case name, cpu "abc" — every error by path', (t) => {
  const r = admitObject({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Web' },
    spec: { containers: [{ name: 'web', resources: { requests: { cpu: 'abc' } } }] },
  });
  const errs = errorsOf(r);
  t.is(errs.length, 3, errs.join('\n'));
  t.true(errs[0]?.startsWith('metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters'));
  t.true(errs.includes("spec.containers[0].resources.requests.cpu: Invalid value: \"abc\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"));
  t.true(errs.includes('spec.containers[0].image: Required value'));
  for (const e of errs) t.false(e.includes('\n'));
});

test('a good pod is admitted with Kubernetes defaults', (t) => {
  const o = objectOf(admitObject(goodPod()));
  t.is(o.metadata?.namespace, 'default');
  t.deepEqual(Object.keys(o), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  t.deepEqual(Object.keys(o.metadata ?? {}).slice(0, 2), ['name', 'namespace']);
  t.is(o.spec.restartPolicy, 'Always');
  t.is(o.spec.terminationGracePeriodSeconds, 30);
  t.is(o.spec.dnsPolicy, 'ClusterFirst');
  t.is(o.spec.schedulerName, 'default-scheduler');
  t.is(o.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  t.is(o.spec.containers[0].ports[0].protocol, 'TCP');
  t.is(o.spec.containers[0].terminationMessagePath, '/dev/termination-log');
  t.is(o.spec.containers[0].terminationMessagePolicy, 'File');
  t.deepEqual(o.status, { phase: 'Pending', qosClass: 'BestEffort' });
});

test('admission does not modify its input', (t) => {
  const input = goodPod();
  const copy = structuredClone(input);
  admitObject(input);
  t.deepEqual(input, copy);
});

test('unknown fields are dropped with one warning each', (t) => {
  const input = goodPod() as Json;
  input.spec.containers[0].imagee = 'typo';
  input.spec.foo = { bar: 1 };
  input.metadata.colour = 'blue';
  input.extra = true;
  const r = admitObject(input);
  t.true(r.ok);
  t.deepEqual([...r.warnings].sort(), [
    'unknown field "extra"', 'unknown field "metadata.colour"', 'unknown field "spec.containers[0].imagee"', 'unknown field "spec.foo"',
  ]);
  const o = objectOf(r);
  t.is(o.spec.containers[0].imagee, undefined);
  t.is(o.spec.foo, undefined);
  t.is(o['extra'], undefined);
});

test('the full PodSpec surface is known (no warnings for a rich manifest)', (t) => {
  const r = admitObject({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'rich', namespace: 'team', labels: { app: 'rich' }, annotations: { 'example.com/note': 'x' }, finalizers: ['example.com/keep'] },
    spec: {
      hostNetwork: false, dnsPolicy: 'ClusterFirst', serviceAccountName: 'builder', priorityClassName: 'system-node-critical',
      nodeSelector: { 'kubernetes.io/os': 'linux' }, imagePullSecrets: [{ name: 'regcred' }],
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, { operator: 'Exists' }],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } }],
        },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'rich' } } } }] },
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'rich' } } }],
      securityContext: { runAsUser: 1000, runAsNonRoot: true, fsGroup: 2000, seccompProfile: { type: 'RuntimeDefault' } },
      volumes: [
        { name: 'data', emptyDir: { sizeLimit: '1Gi' } }, { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a.yaml', path: 'a.yaml' }] } },
        { name: 'sec', secret: { secretName: 'sec' } }, { name: 'host', hostPath: { path: '/var/log', type: 'Directory' } },
        { name: 'claim', persistentVolumeClaim: { claimName: 'c1' } },
        { name: 'proj', projected: { sources: [{ configMap: { name: 'cfg' } }, { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }] } },
      ],
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
      containers: [{
        name: 'app', image: 'registry.example.com/app@sha256:' + 'a'.repeat(64), args: ['--port=8080'], workingDir: '/app',
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'MODE', value: 'prod' }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } }],
        envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
        resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } },
        volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/app', readOnly: true }],
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 5 },
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 },
        startupProbe: { exec: { command: ['true'] }, failureThreshold: 30 },
        lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
        securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      }],
    },
  });
  // No field is unknown; what Tugboat cannot honour is said (validation/unsupported.ts).
  t.deepEqual(r.warnings.filter((w) => w.startsWith('unknown field')), []);
  t.deepEqual(r.warnings.map((w) => w.slice(0, w.indexOf(':'))), ['spec.containers[0].lifecycle.preStop', 'spec.securityContext.seccompProfile', 'spec.securityContext.fsGroup']);
  const o = objectOf(r);
  t.is(o.spec.containers[0].resources.limits.cpu, '1', 'quantities are canonical strings');
  t.is(o.spec.containers[0].imagePullPolicy, 'IfNotPresent', 'digest');
  t.is(o.spec.initContainers[0].imagePullPolicy, 'Always', 'no tag');
  t.is(o.spec.priority, undefined, 'priority comes from Priority admission in the API server');
  t.is(o.spec.containers[0].livenessProbe.periodSeconds, 10);
  t.is(o.spec.containers[0].env[1].valueFrom.fieldRef.apiVersion, 'v1');
  t.is(o.spec.volumes[1].configMap.defaultMode, 0o644);
  t.is(o.status.qosClass, 'Burstable');
});

test('wrong JSON types are errors, not crashes, and do not cascade', (t) => {
  const errs = errorsOf(admitObject({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { version: 1 } },
    spec: { containers: 'web', hostNetwork: 'yes', terminationGracePeriodSeconds: '30' },
  }));
  t.deepEqual(errs, [
    'metadata.labels.version: Invalid value: 1: must be a string',
    'spec.containers: Invalid value: "web": must be a list',
    'spec.hostNetwork: Invalid value: "yes": must be a boolean',
    'spec.terminationGracePeriodSeconds: Invalid value: "30": must be an integer',
  ]);
});

test('unknown kind and version', (t) => {
  t.deepEqual(errorsOf(admitObject({ apiVersion: 'v1', kind: 'Foo', metadata: { name: 'x' } })), ['kind: Invalid value: "Foo": no kind "Foo" is registered for version "v1"']);
  const e = errorsOf(admitObject({ apiVersion: 'v1', kind: 'Deployment', metadata: { name: 'x' } }));
  t.regex(e[0] ?? '', /^apiVersion: Invalid value: "v1": no kind "Deployment" is registered for version "v1" \(Deployment is apps\/v1\)$/);
  t.deepEqual(errorsOf(admitObject({ metadata: { name: 'x' } })), ['kind: Required value', 'apiVersion: Required value']);
  t.false(admitObject('not an object').ok);
  t.false(admitObject(null).ok);
  t.false(admitObject([goodPod()]).ok);
});

test('namespace defaulting and cluster-scoped kinds', (t) => {
  t.is(objectOf(admitObject({ ...goodPod(), metadata: { name: 'web', namespace: 'team' } })).metadata?.namespace, 'team');
  const node = objectOf(admitObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', namespace: 'default' } }));
  t.is(node.metadata?.namespace, undefined);
  const ns = objectOf(admitObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }));
  t.is(ns.metadata?.namespace, undefined);
  t.is(ns.metadata?.labels?.['kubernetes.io/metadata.name'], 'team');
  t.deepEqual(ns.status, { phase: 'Active' });
  t.regex(errorsOf(admitObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a.b' } }))[0] ?? '', /^metadata.name: Invalid value: "a.b": must not contain dots$/);
  t.deepEqual(errorsOf(admitObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} })), ['metadata.name: Required value: name or generateName is required']);
  t.deepEqual(errorsOf(admitObject({ apiVersion: 'v1', kind: 'ConfigMap' })), ['metadata.name: Required value: name or generateName is required']);
});

test('generateName becomes a name on create', (t) => {
  const o = objectOf(admitObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } }, undefined, { random: () => 0 }));
  t.is(o.metadata?.name, 'cfg-bbbbb');
  t.is(o.metadata?.generateName, 'cfg-');
  const random = objectOf(admitObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } }));
  t.regex(random.metadata?.name ?? '', /^cfg-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  t.regex(errorsOf(admitObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'Bad-' } })).join('\n'), /^metadata.generateName: Invalid value: "Bad-"/m);
});

test('deployment defaults and selector/template agreement', (t) => {
  const o = objectOf(admitObject(goodDeployment()));
  t.is(o.spec.replicas, 1);
  t.deepEqual(o.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  t.is(o.spec.revisionHistoryLimit, 10);
  t.is(o.spec.progressDeadlineSeconds, 600);
  t.is(o.spec.template.spec.restartPolicy, 'Always');
  t.is(o.spec.template.spec.containers[0].imagePullPolicy, 'Always');
  t.deepEqual(o.status, {});

  const bad = goodDeployment() as Json;
  bad.spec.template.metadata.labels = { app: 'api' };
  bad.spec.replicas = -1;
  t.deepEqual(errorsOf(admitObject(bad)), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    'spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match template `labels`',
  ]);
  const noSel = goodDeployment() as Json;
  delete noSel.spec.selector;
  t.deepEqual(errorsOf(admitObject(noSel)), ['spec.selector: Required value']);
});

test('objects over 1 MiB are refused', (t) => {
  const big = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { blob: 'x'.repeat(MAX_OBJECT_BYTES) } };
  const r = admitObject(big);
  t.false(r.ok);
  if (!r.ok) {
    t.true(isTooLarge(r.errors));
    t.regex(formatFieldError(r.errors[0] as FieldError), /Too long: the object is \d+ bytes; it may not be more than 1048576 bytes/);
  }
});

test('updates: immutable name, namespace, pod spec, selector; status is kept', (t) => {
  const old = objectOf(admitObject(goodPod()));
  old['status'] = { phase: 'Running', podIP: '10.0.0.2', qosClass: 'BestEffort' };
  (old['spec'] as Record<string, unknown>)['nodeName'] = 'node-1';

  // An image change is allowed; labels may change; status comes from the stored object.
  const next = structuredClone(old) as Json;
  next.spec.containers[0].image = 'nginx:1.26';
  next.metadata.labels = { app: 'web', tier: 'front' };
  next.status = { phase: 'Failed' };
  const o = objectOf(admitObject(next, old));
  t.is(o.spec.containers[0].image, 'nginx:1.26');
  t.is(o.status.phase, 'Running');

  const renamed = structuredClone(old) as Json;
  renamed.metadata.name = 'other';
  renamed.metadata.namespace = 'team';
  t.deepEqual(errorsOf(admitObject(renamed, old)), [
    'metadata.name: Invalid value: "other": field is immutable',
    'metadata.namespace: Invalid value: "team": field is immutable',
  ]);

  const ports = structuredClone(old) as Json;
  ports.spec.containers[0].ports[0].containerPort = 81;
  ports.spec.nodeName = 'node-2';
  const e = errorsOf(admitObject(ports, old));
  t.is(e.length, 1);
  t.true(e[0]?.startsWith('spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`'));
  t.true(e[0]?.endsWith('(changed: spec.containers[0].ports[0].containerPort, spec.nodeName)'));

  const dep = objectOf(admitObject(goodDeployment()));
  const dep2 = structuredClone(dep) as Json;
  dep2.spec.selector = { matchLabels: { app: 'web', v: '2' } };
  dep2.spec.template.metadata.labels = { app: 'web', v: '2' };
  t.deepEqual(errorsOf(admitObject(dep2, dep)), ['spec.selector: Invalid value: {"matchLabels":{"app":"web","v":"2"}}: field is immutable']);
  const dep3 = structuredClone(dep) as Json;
  dep3.spec.replicas = 5;
  t.is(objectOf(admitObject(dep3, dep)).spec.replicas, 5);
});

test('secret and configmap immutability', (t) => {
  const old = objectOf(admitObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, immutable: true, stringData: { a: 'b' } }));
  t.deepEqual(old['data'], { a: 'Yg==' });
  t.is(old['type'], 'Opaque');
  t.is(old['stringData'], undefined);
  const changed = { ...structuredClone(old), data: { a: 'Yw==' } };
  t.deepEqual(errorsOf(admitObject(changed, old)), ['data: Forbidden: field is immutable when `immutable` is set']);
  const unset = { ...structuredClone(old), immutable: false };
  t.deepEqual(errorsOf(admitObject(unset, old)), ['immutable: Forbidden: field is immutable when `immutable` is set']);
  const retyped = { ...structuredClone(old), type: 'kubernetes.io/basic-auth', data: { ...old['data'] as object, username: 'dQ==' } };
  t.deepEqual(errorsOf(admitObject(retyped, old)), [
    'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
  const cm = objectOf(admitObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, immutable: true, data: { a: '1' } }));
  t.deepEqual(errorsOf(admitObject({ ...structuredClone(cm), data: { a: '2' } }, cm)), ['data: Forbidden: field is immutable when `immutable` is set']);
  t.true(admitObject({ ...structuredClone(cm), metadata: { ...cm.metadata, labels: { x: 'y' } } }, cm).ok, 'metadata may change');
});

test('admitStatus: the old object with the new status, validated', (t) => {
  const old = objectOf(admitObject(goodPod()));
  const input = structuredClone(old) as Json;
  input.spec.containers[0].image = 'ignored';
  input.status = { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }], bogus: 1 };
  const r = admitStatus(input, old);
  const o = objectOf(r);
  t.is(o.spec.containers[0].image, 'nginx:1.25');
  t.deepEqual(o.status, { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }] });
  t.deepEqual(r.warnings, ['unknown field "status.bogus"']);

  t.deepEqual(errorsOf(admitStatus({ ...input, status: { phase: 'Sleeping', podIP: 'nope' } }, old)), [
    'status.phase: Unsupported value: "Sleeping": supported values: "Pending", "Running", "Succeeded", "Failed", "Unknown"',
    'status.podIP: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
  ]);
  const done = { ...structuredClone(old), status: { phase: 'Succeeded' } };
  t.deepEqual(errorsOf(admitStatus({ ...input, status: { phase: 'Running' } }, done)), ['status.phase: Forbidden: may not change from terminal phase Succeeded to Running']);

  const node = objectOf(admitObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' } }));
  const ns = objectOf(admitStatus({ ...node, status: { capacity: { cpu: '4', memory: '8Gi', pods: 110 } } }, node));
  t.deepEqual(ns.status.allocatable, { cpu: '4', memory: '8Gi', pods: '110' });

  const rs = objectOf(admitObject({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs' }, spec: (goodDeployment()['spec'] as object) }));
  t.deepEqual(errorsOf(admitStatus({ ...rs, status: { replicas: 1, readyReplicas: 2 } }, rs)), ['status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas']);
  const cm = objectOf(admitObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }));
  t.deepEqual(errorsOf(admitStatus(cm, cm)), ['status: Forbidden: ConfigMap has no status']);
});

test('defaultObject applies defaults only, on a copy', (t) => {
  const input = goodPod();
  const out = defaultObject(input) as Json;
  t.is(out.spec.restartPolicy, 'Always');
  t.is(out.metadata.namespace, 'default');
  t.is((input['spec'] as Record<string, unknown>)['restartPolicy'], undefined);
  const weird = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: 'nope' } };
  t.notThrows(() => defaultObject(weird));
  t.deepEqual(defaultObject({ apiVersion: 'v1', kind: 'Foo' }), { apiVersion: 'v1', kind: 'Foo' });
});

test('schema "required" errors yield to a validator\'s own error on the same field', (t) => {
  const cm = {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'c', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '' }] },
  };
  t.deepEqual(errorsOf(admitObject(cm)), ['metadata.ownerReferences[0].uid: Invalid value: "": uid must not be empty']);
  t.deepEqual(errorsOf(admitObject({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' } })), ['involvedObject: Required value']);
});

test('status in a create or update is not looked at (except a registering Node\'s)', (t) => {
  const r = admitObject({ ...goodPod(), status: { phase: 'Bogus', hostIP: 7, nope: true } });
  t.deepEqual(r.warnings, []);
  t.deepEqual(objectOf(r)['status'], { phase: 'Pending', qosClass: 'BestEffort' });
  const node = admitObject({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { capacity: { cpu: 'lots' } } });
  t.regex(errorsOf(node)[0] ?? '', /^status.capacity.cpu: Invalid value: "lots": quantities must match/);
  const cm = admitObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, status: {} });
  t.deepEqual(cm.warnings, ['unknown field "status"']);
  t.deepEqual(errorsOf(admitObject(42)), ['<object>: Invalid value: must be a JSON object']);
});
