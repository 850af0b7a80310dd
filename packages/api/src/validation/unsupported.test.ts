import test from 'ava';
import type { PodSpec } from 'kubernetes-types/core/v1.js';
import { admitObject } from '../admission.js';
import { ApiError } from '../errors.js';
import type { KubeObject } from '../types.js';
import { checkUnsupportedFields, podSpecOf, UNSUPPORTED_POD_FIELDS, unsupportedPodFields } from './unsupported.js';

const c = (more: Record<string, unknown> = {}): Record<string, unknown> => ({ name: 'main', image: 'busybox:1.36', ...more });
const spec = (more: Record<string, unknown>): PodSpec => ({ containers: [c()], ...more } as unknown as PodSpec);

/** One case per row of the table: a spec that sets the field, and the paths it is reported at. */
const ROWS: Record<string, { spec: PodSpec; paths: string[] }> = {
  'volumes[].image': { spec: spec({ volumes: [{ name: 'v', image: { reference: 'quay.io/crio/artifact:v2', pullPolicy: 'IfNotPresent' } }] }), paths: ['volumes[0].image'] },
  'volumes[].<other source>': { spec: spec({ volumes: [{ name: 'e', emptyDir: {} }, { name: 'n', nfs: { server: 'nfs.example', path: '/' } }] }), paths: ['volumes[1].nfs'] },
  'volumes[].downwardAPI.items[].resourceFieldRef, volumes[].projected.sources[].downwardAPI.items[].resourceFieldRef': {
    spec: spec({
      volumes: [
        { name: 'd', downwardAPI: { items: [{ path: 'cpu', resourceFieldRef: { containerName: 'main', resource: 'limits.cpu' } }] } },
        { name: 'p', projected: { sources: [{ downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'mem', resourceFieldRef: { resource: 'limits.memory' } }] } }] } },
      ],
    }),
    paths: ['volumes[0].downwardAPI.items[0].resourceFieldRef', 'volumes[1].projected.sources[0].downwardAPI.items[1].resourceFieldRef'],
  },
  'containers[].env[].valueFrom.resourceFieldRef': {
    spec: spec({ containers: [c({ env: [{ name: 'A', value: 'a' }, { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } }] })] }),
    paths: ['containers[0].env[1].valueFrom.resourceFieldRef'],
  },
  'containers[].volumeMounts[].subPathExpr': {
    spec: spec({ volumes: [{ name: 'v', emptyDir: {} }], containers: [c({ volumeMounts: [{ name: 'v', mountPath: '/logs', subPathExpr: '$(POD_NAME)' }] })] }),
    paths: ['containers[0].volumeMounts[0].subPathExpr'],
  },
  hostPID: { spec: spec({ hostPID: true }), paths: ['hostPID'] },
  hostIPC: { spec: spec({ hostIPC: true }), paths: ['hostIPC'] },
  shareProcessNamespace: { spec: spec({ shareProcessNamespace: true }), paths: ['shareProcessNamespace'] },
  'containers[].lifecycle.postStart': {
    spec: spec({ initContainers: [c({ name: 'init' })], containers: [c({ lifecycle: { postStart: { exec: { command: ['sh', '-c', 'true'] } } } })] }),
    paths: ['containers[0].lifecycle.postStart'],
  },
  'resourceClaims, containers[].resources.claims': {
    spec: spec({ resourceClaims: [{ name: 'gpu', resourceClaimName: 'gpu' }], containers: [c({ resources: { claims: [{ name: 'gpu' }] } })] }),
    paths: ['resourceClaims', 'containers[0].resources.claims'],
  },
  runtimeClassName: { spec: spec({ runtimeClassName: 'gvisor' }), paths: ['runtimeClassName'] },
  'os.name': { spec: spec({ os: { name: 'windows' } }), paths: ['os.name'] },
  ephemeralContainers: { spec: spec({ ephemeralContainers: [{ name: 'debug', image: 'busybox' }] }), paths: ['ephemeralContainers'] },
  'containers[].lifecycle.preStop': {
    spec: spec({ containers: [c({ lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } })] }),
    paths: ['containers[0].lifecycle.preStop'],
  },
  'securityContext.seccompProfile': {
    spec: spec({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } }, containers: [c({ securityContext: { seccompProfile: { type: 'Unconfined' } } }), c({ name: 'b', securityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'p.json' } } })] }),
    paths: ['securityContext.seccompProfile', 'containers[1].securityContext.seccompProfile'],
  },
  'securityContext.appArmorProfile': { spec: spec({ securityContext: { appArmorProfile: { type: 'RuntimeDefault' } } }), paths: ['securityContext.appArmorProfile'] },
  'securityContext.seLinuxOptions': { spec: spec({ containers: [c({ securityContext: { seLinuxOptions: { level: 's0:c123,c456' } } })] }), paths: ['containers[0].securityContext.seLinuxOptions'] },
  'securityContext.procMount': {
    spec: spec({ containers: [c({ securityContext: { procMount: 'Default' } }), c({ name: 'b', securityContext: { procMount: 'Unmasked' } })] }),
    paths: ['containers[1].securityContext.procMount'],
  },
  'securityContext.fsGroup, securityContext.fsGroupChangePolicy': {
    spec: spec({ securityContext: { fsGroup: 2000, fsGroupChangePolicy: 'OnRootMismatch' } }),
    paths: ['securityContext.fsGroup', 'securityContext.fsGroupChangePolicy'],
  },
  'securityContext.sysctls': { spec: spec({ securityContext: { sysctls: [{ name: 'net.ipv4.ip_local_port_range', value: '1024 65535' }] } }), paths: ['securityContext.sysctls'] },
  hostUsers: { spec: spec({ hostUsers: false }), paths: ['hostUsers'] },
  'containers[].volumeMounts[].mountPropagation': {
    spec: spec({ volumes: [{ name: 'v', hostPath: { path: '/mnt' } }], containers: [c({ volumeMounts: [{ name: 'v', mountPath: '/a', mountPropagation: 'None' }, { name: 'v', mountPath: '/b', mountPropagation: 'HostToContainer' }] })] }),
    paths: ['containers[0].volumeMounts[1].mountPropagation'],
  },
  'containers[].volumeMounts[].recursiveReadOnly': {
    spec: spec({ volumes: [{ name: 'v', hostPath: { path: '/mnt' } }], containers: [c({ volumeMounts: [{ name: 'v', mountPath: '/a', readOnly: true, recursiveReadOnly: 'Enabled' }] })] }),
    paths: ['containers[0].volumeMounts[0].recursiveReadOnly'],
  },
  'containers[].resizePolicy': { spec: spec({ containers: [c({ resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }] })] }), paths: ['containers[0].resizePolicy'] },
  'containers[].stdin, containers[].tty': { spec: spec({ containers: [c({ stdin: true, tty: true })] }), paths: ['containers[0].stdin', 'containers[0].tty'] },
  activeDeadlineSeconds: { spec: spec({ activeDeadlineSeconds: 30 }), paths: ['activeDeadlineSeconds'] },
  readinessGates: { spec: spec({ readinessGates: [{ conditionType: 'www.example.com/feature-1' }] }), paths: ['readinessGates'] },
  setHostnameAsFQDN: { spec: spec({ setHostnameAsFQDN: true }), paths: ['setHostnameAsFQDN'] },
};

test('every row of the table has a case here, and no case names a row that is gone', (t) => {
  t.deepEqual(Object.keys(ROWS).sort(), UNSUPPORTED_POD_FIELDS.map((r) => r.field).sort());
});

for (const rule of UNSUPPORTED_POD_FIELDS) {
  test(`${rule.decision}: ${rule.field}`, (t) => {
    const row = ROWS[rule.field]!;
    t.deepEqual(rule.find(row.spec), row.paths);
    const found = unsupportedPodFields(row.spec, 'spec.template.spec');
    const full = row.paths.map((p) => `spec.template.spec.${p}`);
    if (rule.decision === 'error') {
      t.deepEqual(found.errors.filter((e) => full.includes(e.path)).map((e) => [e.path, e.type, e.detail]), full.map((p) => [p, 'Forbidden', rule.reason]));
    } else {
      t.deepEqual(found.warnings.filter((w) => full.some((p) => w.startsWith(`${p}: `))), full.map((p) => `${p}: ${rule.reason}`));
    }
    // The same spec without the field says nothing of this row.
    t.deepEqual(rule.find(spec({})), []);
  });
}

test('a plain pod spec, and what Tugboat honours (hostNetwork, hostAliases, dnsConfig, runAsUser, capabilities, probes), say nothing', (t) => {
  const s = spec({
    hostNetwork: true,
    hostAliases: [{ ip: '198.19.0.1', hostnames: ['foo.local'] }],
    dnsPolicy: 'None',
    dnsConfig: { nameservers: ['198.19.0.10'], searches: ['ns1.svc.cluster-domain.example'], options: [{ name: 'ndots', value: '2' }] },
    securityContext: { runAsUser: 1000, runAsGroup: 3000, runAsNonRoot: true, supplementalGroups: [4000] },
    volumes: [{ name: 'a', emptyDir: {} }, { name: 'b', configMap: { name: 'cm' } }, { name: 'c', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }],
    containers: [c({
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] } },
      readinessProbe: { httpGet: { path: '/', port: 80 } },
      volumeMounts: [{ name: 'a', mountPath: '/a', subPath: 'x' }],
    })],
  });
  t.deepEqual(unsupportedPodFields(s, 'spec'), { errors: [], warnings: [] });
});

const pod = (s: Record<string, unknown>, name = 'p'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [c()], ...s } });

test('an image volume is refused in one line, Kubernetes\' wording, not rewritten to an emptyDir', (t) => {
  const res = admitObject(pod({ volumes: [{ name: 'volume', image: { reference: 'quay.io/crio/artifact:v2', pullPolicy: 'IfNotPresent' } }] }, 'image-volume'));
  t.false(res.ok);
  if (res.ok) return;
  const msg = ApiError.invalid('Pod', 'image-volume', res.errors).message;
  t.is(msg, 'Pod "image-volume" is invalid: spec.volumes[0].image: Forbidden: image volumes are not supported: the pod would run without the image\'s files');
  t.false(msg.includes('\n'));
  t.deepEqual(res.warnings, [], 'the field is known: not pruned with an "unknown field" warning');
});

test('a Deployment is refused at apply for its template (spec.template.spec…), a CronJob for its job template', (t) => {
  const template = { metadata: { labels: { app: 'a' } }, spec: { containers: [c()], hostPID: true } };
  const dep = admitObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { selector: { matchLabels: { app: 'a' } }, template } });
  t.false(dep.ok);
  if (!dep.ok) t.deepEqual(dep.errors.map((e) => e.path), ['spec.template.spec.hostPID']);
  const cj = admitObject({
    apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'c' },
    spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [c()], shareProcessNamespace: true } } } } },
  });
  t.false(cj.ok);
  if (!cj.ok) t.deepEqual(cj.errors.map((e) => e.path), ['spec.jobTemplate.spec.template.spec.shareProcessNamespace']);
});

test('warnings are stored with the object and answered with the write', (t) => {
  const res = admitObject(pod({ securityContext: { seccompProfile: { type: 'RuntimeDefault' } } }));
  t.true(res.ok);
  t.deepEqual(res.warnings, ['spec.securityContext.seccompProfile: seccomp profiles are not applied: containers run without a seccomp filter']);
});

test('on update: an unchanged pod spec says nothing; an error the stored object had is not repeated, a new one is', (t) => {
  const stored = pod({ hostPID: true, securityContext: { sysctls: [{ name: 'kernel.shm_rmid_forced', value: '0' }] } }) as KubeObject & { spec: PodSpec };
  t.deepEqual(checkUnsupportedFields(stored, structuredClone(stored)), { errors: [], warnings: [] });
  const changed = structuredClone(stored);
  changed.spec.hostIPC = true;
  const res = checkUnsupportedFields(changed, stored);
  t.deepEqual(res.errors.map((e) => e.path), ['spec.hostIPC']);
  t.deepEqual(res.warnings, ['spec.securityContext.sysctls: sysctls are not set: the pod gets the node\'s defaults']);
});

test('podSpecOf finds the pod spec of every kind that carries one', (t) => {
  const s = { containers: [c()] };
  const t1 = { template: { spec: s } };
  for (const kind of ['ReplicaSet', 'ReplicationController', 'Deployment', 'DaemonSet', 'StatefulSet', 'Job']) {
    t.is(podSpecOf({ apiVersion: 'x', kind, spec: t1 } as KubeObject)?.path, 'spec.template.spec', kind);
  }
  t.is(podSpecOf({ apiVersion: 'v1', kind: 'Pod', spec: s } as KubeObject)?.path, 'spec');
  t.is(podSpecOf({ apiVersion: 'batch/v1', kind: 'CronJob', spec: { jobTemplate: { spec: t1 } } } as KubeObject)?.path, 'spec.jobTemplate.spec.template.spec');
  t.is(podSpecOf({ apiVersion: 'v1', kind: 'ConfigMap' } as KubeObject), undefined);
});
