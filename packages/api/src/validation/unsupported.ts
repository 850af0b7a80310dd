// Pod fields Tugboat accepts in Kubernetes' schema but cannot honour, and what admission does
// about each: one table, so nothing is silently dropped or rewritten (issues 12 and 17).
//
//   error    the pod would run without something it relies on (a volume's data, a process
//            namespace, a hook that prepares it): refused at apply, Forbidden, nothing stored.
//   warning  a hint or a hardening the pod works without (a seccomp profile, a preStop hook):
//            stored, and the write answers with a warning (`Warning: …` from tctl and kubectl).
//
// The decisions are about the oci runtime, the one that isolates pods. The process runtime
// honours less (no volumes, no isolation) and refuses at the node what it cannot mount
// (agent: FailedMount); the fake runtime runs nothing.
//
// Pod specs are found wherever a kind carries one (a Pod's spec, a workload's template, a
// CronJob's job template), so a Deployment is refused at apply rather than its pods later.
import type { Container, PodSpec, Volume } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../types.js';
import { deepEqual } from './equal.js';
import { child, forbidden, index, isPlainObject } from './field-errors.js';

export type UnsupportedDecision = 'error' | 'warning';

export interface UnsupportedField {
  /** The field, relative to a pod spec, as docs/operations.md lists it. */
  readonly field: string;
  readonly decision: UnsupportedDecision;
  /** Why: the rest of the one line (`spec.hostPID: Forbidden: <reason>`). */
  readonly reason: string;
  /** Where the spec sets it: paths relative to the pod spec ("volumes[0].image"). */
  find(spec: PodSpec): string[];
}

/** The volume sources the oci runtime sets up (agent: runtimes/oci/volumes.ts). */
export const SUPPORTED_VOLUME_SOURCES: readonly string[] = ['emptyDir', 'hostPath', 'configMap', 'secret', 'projected', 'downwardAPI', 'persistentVolumeClaim'];

type Named<T> = { item: T; path: string };

function containersOf(spec: PodSpec): Named<Container>[] {
  return [
    ...(spec.initContainers ?? []).map((c, i) => ({ item: c, path: index('initContainers', i) })),
    ...(spec.containers ?? []).map((c, i) => ({ item: c, path: index('containers', i) })),
  ];
}

function volumesOf(spec: PodSpec): Named<Volume>[] {
  return (spec.volumes ?? []).map((v, i) => ({ item: v, path: index('volumes', i) }));
}

/** `path` when `value` is set to something other than its no-op value. */
function when(set: boolean, path: string): string[] {
  return set ? [path] : [];
}

function inContainers(spec: PodSpec, pick: (c: Container, path: string) => string[]): string[] {
  return containersOf(spec).flatMap(({ item, path }) => pick(item, path));
}

/** Pod- and container-level securityContext fields of one name. */
function securityField(spec: PodSpec, name: string, isSet: (v: unknown) => boolean = (v) => v !== undefined): string[] {
  const pod = spec.securityContext as Record<string, unknown> | undefined;
  return [
    ...when(isSet(pod?.[name]), child('securityContext', name)),
    ...inContainers(spec, (c, p) => when(isSet((c.securityContext as Record<string, unknown> | undefined)?.[name]), child(child(p, 'securityContext'), name))),
  ];
}

/** Downward API items (a downwardAPI volume's, a projected volume's sources') that ask for resources. */
function resourceFieldRefs(spec: PodSpec): string[] {
  return volumesOf(spec).flatMap(({ item: v, path }) => [
    ...(v.downwardAPI?.items ?? []).flatMap((it, i) => when(!!it.resourceFieldRef, child(index(child(child(path, 'downwardAPI'), 'items'), i), 'resourceFieldRef'))),
    ...(v.projected?.sources ?? []).flatMap((s, si) => (s.downwardAPI?.items ?? []).flatMap((it, i) =>
      when(!!it.resourceFieldRef, child(index(child(child(index(child(child(path, 'projected'), 'sources'), si), 'downwardAPI'), 'items'), i), 'resourceFieldRef')))),
  ]);
}

/** The table. Order is the order errors and warnings are reported in. */
export const UNSUPPORTED_POD_FIELDS: readonly UnsupportedField[] = [
  {
    field: 'volumes[].image',
    decision: 'error',
    reason: 'image volumes are not supported: the pod would run without the image\'s files',
    find: (s) => volumesOf(s).flatMap(({ item, path }) => when((item as Volume & { image?: unknown }).image !== undefined, child(path, 'image'))),
  },
  {
    field: 'volumes[].<other source>',
    decision: 'error',
    reason: `volume type not supported (supported: ${SUPPORTED_VOLUME_SOURCES.join(', ')}): the pod would run without the volume's data`,
    find: (s) => volumesOf(s).flatMap(({ item, path }) => Object.keys(item)
      .filter((k) => k !== 'name' && k !== 'image' && !SUPPORTED_VOLUME_SOURCES.includes(k))
      .map((k) => child(path, k))),
  },
  {
    field: 'volumes[].downwardAPI.items[].resourceFieldRef, volumes[].projected.sources[].downwardAPI.items[].resourceFieldRef',
    decision: 'error',
    reason: 'resource fields are not projected into volumes: the file would be missing',
    find: resourceFieldRefs,
  },
  {
    field: 'containers[].env[].valueFrom.resourceFieldRef',
    decision: 'error',
    reason: 'resource fields are not exposed as environment variables: the variable would be missing',
    find: (s) => inContainers(s, (c, p) => (c.env ?? []).flatMap((e, i) => when(!!e.valueFrom?.resourceFieldRef, child(child(index(child(p, 'env'), i), 'valueFrom'), 'resourceFieldRef')))),
  },
  {
    field: 'containers[].volumeMounts[].subPathExpr',
    decision: 'error',
    reason: 'subPathExpr is not expanded: the container would see the whole volume instead of its sub-path',
    find: (s) => inContainers(s, (c, p) => (c.volumeMounts ?? []).flatMap((m, i) => when(!!m.subPathExpr, child(index(child(p, 'volumeMounts'), i), 'subPathExpr')))),
  },
  {
    field: 'hostPID',
    decision: 'error',
    reason: 'every container has its own process namespace: the host\'s processes would not be visible',
    find: (s) => when(s.hostPID === true, 'hostPID'),
  },
  {
    field: 'hostIPC',
    decision: 'error',
    reason: 'pods have their own IPC namespace: the host\'s would not be shared',
    find: (s) => when(s.hostIPC === true, 'hostIPC'),
  },
  {
    field: 'shareProcessNamespace',
    decision: 'error',
    reason: 'every container has its own process namespace: the pod\'s containers would not see each other\'s processes',
    find: (s) => when(s.shareProcessNamespace === true, 'shareProcessNamespace'),
  },
  {
    field: 'containers[].lifecycle.postStart',
    decision: 'error',
    reason: 'lifecycle hooks are not run: the container would start without what its postStart hook prepares',
    find: (s) => inContainers(s, (c, p) => when(c.lifecycle?.postStart !== undefined, child(child(p, 'lifecycle'), 'postStart'))),
  },
  {
    field: 'resourceClaims, containers[].resources.claims',
    decision: 'error',
    reason: 'dynamic resource allocation is not supported: the pod would run without the device it claims',
    find: (s) => [
      ...when((s.resourceClaims ?? []).length > 0, 'resourceClaims'),
      ...inContainers(s, (c, p) => when((c.resources?.claims ?? []).length > 0, child(child(p, 'resources'), 'claims'))),
    ],
  },
  {
    field: 'runtimeClassName',
    decision: 'error',
    reason: 'RuntimeClasses are not served: the pod would run without the runtime it names',
    find: (s) => when(!!s.runtimeClassName, 'runtimeClassName'),
  },
  {
    field: 'os.name',
    decision: 'error',
    reason: 'Tugboat runs Linux pods only',
    find: (s) => when(s.os?.name !== undefined && s.os.name !== 'linux', child('os', 'name')),
  },
  {
    field: 'ephemeralContainers',
    decision: 'error',
    reason: 'ephemeral containers are not run',
    find: (s) => when((s.ephemeralContainers ?? []).length > 0, 'ephemeralContainers'),
  },
  // ---- warnings: the pod works without them -------------------------------------------------
  {
    field: 'containers[].lifecycle.preStop',
    decision: 'warning',
    reason: 'lifecycle hooks are not run: the container gets SIGTERM at once, then SIGKILL after the grace period',
    find: (s) => inContainers(s, (c, p) => when(c.lifecycle?.preStop !== undefined, child(child(p, 'lifecycle'), 'preStop'))),
  },
  {
    field: 'securityContext.seccompProfile',
    decision: 'warning',
    reason: 'seccomp profiles are not applied: containers run without a seccomp filter',
    find: (s) => securityField(s, 'seccompProfile', (v) => isPlainObject(v) && v['type'] !== 'Unconfined'),
  },
  {
    field: 'securityContext.appArmorProfile',
    decision: 'warning',
    reason: 'AppArmor profiles are not applied',
    find: (s) => securityField(s, 'appArmorProfile', (v) => isPlainObject(v) && v['type'] !== 'Unconfined'),
  },
  {
    field: 'securityContext.seLinuxOptions',
    decision: 'warning',
    reason: 'SELinux labels are not applied',
    find: (s) => securityField(s, 'seLinuxOptions'),
  },
  {
    field: 'securityContext.procMount',
    decision: 'warning',
    reason: 'procMount is not applied: /proc is mounted as runc mounts it by default',
    find: (s) => securityField(s, 'procMount', (v) => v !== undefined && v !== 'Default'),
  },
  {
    field: 'securityContext.fsGroup, securityContext.fsGroupChangePolicy',
    decision: 'warning',
    reason: 'volume ownership is not changed: files keep their owners (emptyDir and local-path volumes are world-writable)',
    find: (s) => [
      ...when(s.securityContext?.fsGroup !== undefined, child('securityContext', 'fsGroup')),
      ...when(s.securityContext?.fsGroupChangePolicy !== undefined, child('securityContext', 'fsGroupChangePolicy')),
    ],
  },
  {
    field: 'securityContext.sysctls',
    decision: 'warning',
    reason: 'sysctls are not set: the pod gets the node\'s defaults',
    find: (s) => when((s.securityContext?.sysctls ?? []).length > 0, child('securityContext', 'sysctls')),
  },
  {
    field: 'hostUsers',
    decision: 'warning',
    reason: 'user namespaces are not used: container uids are host uids',
    find: (s) => when(s.hostUsers === false, 'hostUsers'),
  },
  {
    field: 'containers[].volumeMounts[].mountPropagation',
    decision: 'warning',
    reason: 'mount propagation is not set up: mounts are private (None)',
    find: (s) => inContainers(s, (c, p) => (c.volumeMounts ?? []).flatMap((m, i) => when(!!m.mountPropagation && m.mountPropagation !== 'None', child(index(child(p, 'volumeMounts'), i), 'mountPropagation')))),
  },
  {
    field: 'containers[].volumeMounts[].recursiveReadOnly',
    decision: 'warning',
    reason: 'recursive read-only mounts are not made: only the mount itself is read-only',
    find: (s) => inContainers(s, (c, p) => (c.volumeMounts ?? []).flatMap((m, i) => {
      const v = (m as { recursiveReadOnly?: string }).recursiveReadOnly;
      return when(!!v && v !== 'Disabled', child(index(child(p, 'volumeMounts'), i), 'recursiveReadOnly'));
    })),
  },
  {
    field: 'containers[].resizePolicy',
    decision: 'warning',
    reason: 'resources are not resized in place',
    find: (s) => inContainers(s, (c, p) => when((c.resizePolicy ?? []).length > 0, child(p, 'resizePolicy'))),
  },
  {
    field: 'containers[].stdin, containers[].tty',
    decision: 'warning',
    reason: 'attach is not served: the container\'s stdin is closed',
    find: (s) => inContainers(s, (c, p) => [...when(c.stdin === true, child(p, 'stdin')), ...when(c.tty === true, child(p, 'tty'))]),
  },
  {
    field: 'activeDeadlineSeconds',
    decision: 'warning',
    reason: 'the pod\'s deadline is not enforced (a Job\'s spec.activeDeadlineSeconds is)',
    find: (s) => when(s.activeDeadlineSeconds !== undefined, 'activeDeadlineSeconds'),
  },
  {
    field: 'readinessGates',
    decision: 'warning',
    reason: 'readiness gates are not evaluated: the pod is Ready when its containers are',
    find: (s) => when((s.readinessGates ?? []).length > 0, 'readinessGates'),
  },
  {
    field: 'setHostnameAsFQDN',
    decision: 'warning',
    reason: 'the hostname is the pod\'s short name',
    find: (s) => when(s.setHostnameAsFQDN === true, 'setHostnameAsFQDN'),
  },
];

export interface UnsupportedFindings {
  readonly errors: FieldError[];
  readonly warnings: string[];
}

/** What the table says about one pod spec at `path` ("spec", "spec.template.spec"). */
export function unsupportedPodFields(spec: PodSpec | undefined, path: string): UnsupportedFindings {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  if (!isPlainObject(spec)) return { errors, warnings };
  for (const rule of UNSUPPORTED_POD_FIELDS) {
    for (const rel of rule.find(spec)) {
      const full = child(path, rel);
      switch (rule.decision) {
        case 'error':
          errors.push(forbidden(full, rule.reason));
          break;
        case 'warning':
          warnings.push(`${full}: ${rule.reason}`);
          break;
      }
    }
  }
  return { errors, warnings };
}

/** Where a kind carries a pod spec, as a path of fields from the object's root. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  Pod: ['spec'],
  ReplicaSet: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'],
  Deployment: ['spec', 'template', 'spec'],
  DaemonSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'],
  Job: ['spec', 'template', 'spec'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The object's pod spec and its path, for the kinds that carry one. */
export function podSpecOf(obj: KubeObject): { spec: PodSpec; path: string } | undefined {
  const fields = POD_SPEC_PATHS[obj.kind ?? ''];
  if (!fields) return undefined;
  let cur: unknown = obj;
  for (const f of fields) cur = isPlainObject(cur) ? cur[f] : undefined;
  return isPlainObject(cur) ? { spec: cur as unknown as PodSpec, path: fields.join('.') } : undefined;
}

/**
 * Admission's step: the table applied to the object's pod spec. On update, as Kubernetes
 * warns only when a spec changes, an unchanged pod spec says nothing, and an error the stored
 * object already had is not repeated (an object stored before a rule existed can still be
 * updated: its finalizers removed, its replicas scaled).
 */
export function checkUnsupportedFields(obj: KubeObject, old?: KubeObject): UnsupportedFindings {
  const found = podSpecOf(obj);
  if (!found) return { errors: [], warnings: [] };
  const before = old ? podSpecOf(old) : undefined;
  if (before && deepEqual(before.spec, found.spec)) return { errors: [], warnings: [] };
  const now = unsupportedPodFields(found.spec, found.path);
  if (!before) return now;
  const had = new Set(unsupportedPodFields(before.spec, before.path).errors.map((e) => e.path));
  return { errors: now.errors.filter((e) => !had.has(e.path)), warnings: now.warnings };
}
