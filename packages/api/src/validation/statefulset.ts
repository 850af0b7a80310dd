// StatefulSet validation (Kubernetes' pkg/apis/apps/validation ValidateStatefulSetSpec,
// ValidateStatefulSetUpdate, ValidateStatefulSetStatus), with Kubernetes' messages.
import type { StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec, Volume } from 'kubernetes-types/core/v1.js';
import { isDNS1123Label } from '../names.js';
import { validateSelectorAndTemplate } from './apps.js';
import { deepEqual } from './equal.js';
import { child, each, forbidden, index, invalid, nonNegative, notSupported, required, type Errs } from './field-errors.js';
import { validateLabels } from './meta.js';

const RETENTION = ['Retain', 'Delete'] as const;

function validateRetention(policy: StatefulSetPersistentVolumeClaimRetentionPolicy | undefined, path: string): Errs {
  if (!policy) return [];
  const errs: Errs = [];
  for (const f of ['whenDeleted', 'whenScaled'] as const) {
    const v = policy[f] ?? '';
    if (!(RETENTION as readonly string[]).includes(v)) errs.push(notSupported(child(path, f), v, RETENTION));
  }
  return errs;
}

function validateUpdateStrategy(spec: StatefulSetSpec, path: string): Errs {
  const s = spec.updateStrategy;
  switch (s?.type) {
    case undefined:
    case '':
      return [required(path)];
    case 'OnDelete':
      return s.rollingUpdate ? [invalid(child(path, 'rollingUpdate'), s.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'")] : [];
    case 'RollingUpdate':
      return nonNegative(child(child(path, 'rollingUpdate'), 'partition'), s.rollingUpdate?.partition);
    default:
      return [invalid(path, s, "must be 'RollingUpdate' or 'OnDelete'")];
  }
}

/**
 * The template as its pods will be: each claim template becomes a volume of that name, so the
 * containers' volumeMounts of claim templates are checked against something real.
 */
function templateWithClaims(spec: StatefulSetSpec): PodTemplateSpec | undefined {
  const t = spec.template;
  const claims = spec.volumeClaimTemplates ?? [];
  if (!t?.spec || claims.length === 0) return t;
  const own = new Set(claims.map((c) => c.metadata?.name ?? ''));
  const volumes: Volume[] = [
    ...claims.map((c) => ({ name: c.metadata?.name ?? '', persistentVolumeClaim: { claimName: c.metadata?.name ?? '' } })),
    ...(t.spec.volumes ?? []).filter((v) => !own.has(v.name)),
  ];
  return { ...t, spec: { ...t.spec, volumes } };
}

function validateClaimTemplates(spec: StatefulSetSpec, path: string): Errs {
  const errs: Errs = [];
  (spec.volumeClaimTemplates ?? []).forEach((c, i) => {
    const p = index(path, i);
    const name = c.metadata?.name;
    if (!name) errs.push(required(child(child(p, 'metadata'), 'name'), 'name or generateName is required'));
    else errs.push(...each(child(child(p, 'metadata'), 'name'), name, isDNS1123Label(name)));
    errs.push(...validateLabels(c.metadata?.labels, child(child(p, 'metadata'), 'labels')));
    if (!c.spec?.accessModes?.length) errs.push(required(child(child(p, 'spec'), 'accessModes'), 'at least 1 access mode is required'));
    if (c.spec?.resources?.requests?.['storage'] === undefined) errs.push(required(child(child(child(p, 'spec'), 'resources'), 'requests[storage]'), ''));
  });
  return errs;
}

export function validateStatefulSet(sts: StatefulSet): Errs {
  const spec = sts.spec;
  if (!spec) return [required('spec.selector'), required('spec.template')];
  const errs: Errs = [];
  switch (spec.podManagementPolicy) {
    case undefined:
    case '':
      errs.push(required('spec.podManagementPolicy'));
      break;
    case 'OrderedReady':
    case 'Parallel':
      break;
    default:
      errs.push(invalid('spec.podManagementPolicy', spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  errs.push(...validateUpdateStrategy(spec, 'spec.updateStrategy'));
  errs.push(...validateRetention(spec.persistentVolumeClaimRetentionPolicy, 'spec.persistentVolumeClaimRetentionPolicy'));
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  if (spec.ordinals) errs.push(...nonNegative('spec.ordinals.start', spec.ordinals.start));
  // The pods' subdomain: a DNS label, as the pod's own validation would demand of it.
  if (spec.serviceName) errs.push(...each('spec.serviceName', spec.serviceName, isDNS1123Label(spec.serviceName)));
  errs.push(...validateSelectorAndTemplate(spec.selector, templateWithClaims(spec), 'statefulset', 'spec', 'StatefulSet'));
  errs.push(...validateClaimTemplates(spec, 'spec.volumeClaimTemplates'));
  return errs;
}

/** What an update may change: replicas, ordinals, template, updateStrategy, the retention policy and minReadySeconds. */
export function validateStatefulSetUpdate(sts: StatefulSet, old: StatefulSet): Errs {
  const strip = (s: StatefulSetSpec | undefined): Partial<StatefulSetSpec> => {
    const {
      replicas: _r, ordinals: _o, template: _t, updateStrategy: _u, persistentVolumeClaimRetentionPolicy: _p, minReadySeconds: _m, ...rest
    } = s ?? ({} as StatefulSetSpec);
    void _r; void _o; void _t; void _u; void _p; void _m;
    return rest;
  };
  if (deepEqual(strip(sts.spec), strip(old.spec))) return [];
  return [forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
}

const STATUS_COUNTS = ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas', 'observedGeneration', 'collisionCount'] as const;

export function validateStatefulSetStatus(sts: StatefulSet, old: StatefulSet | undefined): Errs {
  const st = sts.status;
  if (!st) return [];
  const errs: Errs = STATUS_COUNTS.flatMap((f) => nonNegative(`status.${f}`, st[f]));
  const replicas = st.replicas ?? 0;
  for (const f of ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'] as const) {
    const v = st[f] ?? 0;
    if (v > replicas) errs.push(invalid(`status.${f}`, v, 'cannot be greater than status.replicas'));
  }
  if ((st.availableReplicas ?? 0) > (st.readyReplicas ?? 0)) {
    errs.push(invalid('status.availableReplicas', st.availableReplicas, 'cannot be greater than status.readyReplicas'));
  }
  const was = old?.status?.collisionCount;
  if (was !== undefined && (st.collisionCount ?? 0) < was) errs.push(invalid('status.collisionCount', st.collisionCount ?? 0, 'cannot be decremented'));
  return errs;
}
