// DaemonSet, ControllerRevision and ReplicationController validation (Kubernetes'
// pkg/apis/apps/validation ValidateDaemonSet / ValidateControllerRevision and
// pkg/apis/core/validation ValidateReplicationController), with Kubernetes' messages.
import type { ControllerRevision, DaemonSet, DaemonSetUpdateStrategy, RollingUpdateDaemonSet } from 'kubernetes-types/apps/v1.js';
import type { ReplicationController } from 'kubernetes-types/core/v1.js';
import { child, forbidden, invalid, nonNegative, notSupported, required, type Errs } from './field-errors.js';
import { validateLabels, validateTemplateMeta } from './meta.js';
import { validatePodSpec } from './pod.js';
import { isZero, validateIntOrPercent, validateSelectorAndTemplate } from './apps.js';
import { deepEqual } from './equal.js';

const OVER_100 = /^([0-9]+)%$/;

function notMoreThan100Percent(v: number | string | undefined, path: string): Errs {
  const m = typeof v === 'string' ? OVER_100.exec(v) : null;
  return m && Number(m[1]) > 100 ? [invalid(path, v, 'must not be greater than 100%')] : [];
}

/** Exactly one of maxUnavailable and maxSurge is non-zero (Kubernetes' ValidateRollingUpdateDaemonSet). */
function validateRollingUpdate(ru: RollingUpdateDaemonSet, path: string): Errs {
  const unavailablePath = child(path, 'maxUnavailable');
  const surgePath = child(path, 'maxSurge');
  const errs: Errs = [
    ...validateIntOrPercent(ru.maxUnavailable, unavailablePath),
    ...validateIntOrPercent(ru.maxSurge, surgePath),
    ...notMoreThan100Percent(ru.maxUnavailable, unavailablePath),
    ...notMoreThan100Percent(ru.maxSurge, surgePath),
  ];
  const hasUnavailable = ru.maxUnavailable !== undefined && !isZero(ru.maxUnavailable);
  const hasSurge = ru.maxSurge !== undefined && !isZero(ru.maxSurge);
  if (hasUnavailable && hasSurge) errs.push(invalid(surgePath, ru.maxSurge, 'may not be set when maxUnavailable is non-zero'));
  else if (!hasUnavailable && !hasSurge) errs.push(required(unavailablePath, 'cannot be 0 when maxSurge is 0'));
  return errs;
}

function validateUpdateStrategy(s: DaemonSetUpdateStrategy | undefined, path: string): Errs {
  switch (s?.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate':
      return s.rollingUpdate ? validateRollingUpdate(s.rollingUpdate, child(path, 'rollingUpdate')) : [required(child(path, 'rollingUpdate'))];
    default:
      return [notSupported(child(path, 'type'), s?.type ?? '', ['RollingUpdate', 'OnDelete'])];
  }
}

export function validateDaemonSet(ds: DaemonSet): Errs {
  const spec = ds.spec;
  if (!spec) return [required('spec.selector'), required('spec.template')];
  return [
    ...validateSelectorAndTemplate(spec.selector, spec.template, 'daemonset', 'spec', 'DaemonSet'),
    ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
    ...validateUpdateStrategy(spec.updateStrategy, 'spec.updateStrategy'),
    ...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit),
  ];
}

const DAEMONSET_STATUS_COUNTS = [
  'currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration',
  'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable', 'collisionCount',
] as const;

export function validateDaemonSetStatus(ds: DaemonSet): Errs {
  const st = ds.status as Record<string, number | undefined> | undefined;
  if (!st) return [];
  return DAEMONSET_STATUS_COUNTS.flatMap((f) => nonNegative(`status.${f}`, st[f]));
}

export function validateControllerRevision(cr: ControllerRevision): Errs {
  return [
    ...(cr.data === undefined || cr.data === null ? [required('data', 'data is mandatory')] : []),
    ...nonNegative('revision', cr.revision),
  ];
}

/** A revision is a snapshot: its data never changes (the revision number may). */
export function validateControllerRevisionUpdate(cr: ControllerRevision, old: ControllerRevision): Errs {
  return deepEqual(cr.data, old.data) ? [] : [invalid('data', cr.data ?? null, 'field is immutable')];
}

/** The v1 ReplicationController: an equality selector (a map) that must select the template. */
export function validateReplicationController(rc: ReplicationController): Errs {
  const spec = rc.spec ?? {};
  const errs: Errs = [...nonNegative('spec.minReadySeconds', spec.minReadySeconds)];
  const selector = spec.selector ?? {};
  if (Object.keys(selector).length === 0) errs.push(required('spec.selector'));
  else errs.push(...validateLabels(selector, 'spec.selector'));
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  const template = spec.template;
  if (!template) return [...errs, required('spec.template')];
  const labels = template.metadata?.labels ?? {};
  if (Object.entries(selector).some(([k, v]) => labels[k] !== v)) {
    errs.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  errs.push(...validateTemplateMeta(template.metadata, 'spec.template.metadata'));
  errs.push(...validatePodSpec(template.spec, 'spec.template.spec'));
  const rp = template.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', rp, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}
