// Deployment and ReplicaSet validation (Kubernetes' pkg/apis/apps/validation).
import type { Deployment, ReplicaSet, RollingUpdateDeployment } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { selectorFromLabelSelector } from '../labels.js';
import { child, forbidden, invalid, nonNegative, notSupported, oneOf, required, type Errs } from './field-errors.js';
import { validateLabelSelector, validateTemplateMeta } from './meta.js';
import { validatePodSpec } from './pod.js';
import { deepEqual } from './equal.js';

function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

/**
 * The selector and template of a workload (Deployment, ReplicaSet, DaemonSet): the selector
 * must pick the template's pods. `workload` names the kind in Kubernetes' activeDeadlineSeconds
 * message (Deployments share ReplicaSet's).
 */
export function validateSelectorAndTemplate(selector: LabelSelector | undefined, template: PodTemplateSpec | undefined, kind: string, path: string, workload = 'ReplicaSet'): Errs {
  const errs: Errs = [];
  const selPath = child(path, 'selector');
  const tPath = child(path, 'template');
  let selectorOk = false;
  if (!selector) {
    errs.push(required(selPath));
  } else {
    const selErrs = validateLabelSelector(selector, selPath);
    errs.push(...selErrs);
    if (isEmptySelector(selector)) errs.push(invalid(selPath, selector, `empty selector is invalid for ${kind}`));
    else selectorOk = selErrs.length === 0;
  }
  if (!template) {
    errs.push(required(tPath));
    return errs;
  }
  const labelsPath = child(child(tPath, 'metadata'), 'labels');
  errs.push(...validateTemplateMeta(template.metadata, child(tPath, 'metadata')));
  if (selectorOk && selector && !selectorFromLabelSelector(selector).matches(template.metadata?.labels ?? {})) {
    errs.push(invalid(labelsPath, template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  }
  const specPath = child(tPath, 'spec');
  errs.push(...validatePodSpec(template.spec, specPath));
  // Controllers replace pods that stop; a pod that is meant to finish has no place here.
  const rp = template.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') errs.push(notSupported(child(specPath, 'restartPolicy'), rp, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(forbidden(child(specPath, 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${workload} is not Supported`));
  }
  return errs;
}

const PERCENT = /^[0-9]+%$/;

export function validateIntOrPercent(v: number | string | undefined, path: string): Errs {
  if (v === undefined) return [];
  if (typeof v === 'number') return nonNegative(path, v);
  if (!PERCENT.test(v)) {
    return [invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
  }
  return [];
}

export function isZero(v: number | string | undefined): boolean {
  return v === 0 || (typeof v === 'string' && PERCENT.test(v) && Number(v.slice(0, -1)) === 0);
}

function validateRollingUpdate(ru: RollingUpdateDeployment, path: string): Errs {
  const errs: Errs = [];
  const up = child(path, 'maxUnavailable');
  errs.push(...validateIntOrPercent(ru.maxUnavailable, up));
  errs.push(...validateIntOrPercent(ru.maxSurge, child(path, 'maxSurge')));
  if (typeof ru.maxUnavailable === 'string' && PERCENT.test(ru.maxUnavailable) && Number(ru.maxUnavailable.slice(0, -1)) > 100) {
    errs.push(invalid(up, ru.maxUnavailable, 'must not be greater than 100%'));
  }
  // Neither surging nor taking pods down: a rollout could never make progress.
  if (isZero(ru.maxUnavailable) && isZero(ru.maxSurge)) errs.push(invalid(up, ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  return errs;
}

export function validateDeployment(d: Deployment): Errs {
  const spec = d.spec;
  if (!spec) return [required('spec.selector'), required('spec.template')];
  const errs: Errs = [];
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'deployment', 'spec'));
  const strategy = spec.strategy;
  if (strategy) {
    errs.push(...oneOf('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']));
    if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
      errs.push(forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    }
    if (strategy.rollingUpdate && strategy.type !== 'Recreate') errs.push(...validateRollingUpdate(strategy.rollingUpdate, 'spec.strategy.rollingUpdate'));
  }
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  if (spec.progressDeadlineSeconds !== undefined) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): Errs {
  const spec = rs.spec;
  if (!spec) return [required('spec.selector'), required('spec.template')];
  return [
    ...nonNegative('spec.replicas', spec.replicas),
    ...nonNegative('spec.minReadySeconds', spec.minReadySeconds),
    ...validateSelectorAndTemplate(spec.selector, spec.template, 'replicaset', 'spec'),
  ];
}

/** apps/v1 made the selector immutable: changing it would orphan the pods it selected. */
export function validateSelectorUpdate(now: LabelSelector | undefined, old: LabelSelector | undefined): Errs {
  return deepEqual(now, old) ? [] : [invalid('spec.selector', now ?? null, 'field is immutable')];
}

type Counts = Record<string, number | undefined>;

function validateCounts(s: Counts, fields: readonly string[], notAbove: ReadonlyArray<[string, string]>): Errs {
  const errs: Errs = [];
  for (const f of fields) errs.push(...nonNegative(`status.${f}`, s[f]));
  for (const [f, limit] of notAbove) {
    const v = s[f];
    const l = s[limit];
    if (v !== undefined && v > (l ?? 0)) {
      errs.push(invalid(`status.${f}`, v, `cannot be greater than ${limit === 'replicas' ? 'status.replicas' : limit}`));
    }
  }
  return errs;
}

export function validateDeploymentStatus(d: Deployment): Errs {
  if (!d.status) return [];
  return validateCounts(d.status as unknown as Counts,
    ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'observedGeneration', 'collisionCount'],
    [['updatedReplicas', 'replicas'], ['readyReplicas', 'replicas'], ['availableReplicas', 'replicas'], ['availableReplicas', 'readyReplicas']]);
}

export function validateReplicaSetStatus(rs: ReplicaSet): Errs {
  if (!rs.status) return [];
  return validateCounts(rs.status as unknown as Counts,
    ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'],
    [['fullyLabeledReplicas', 'replicas'], ['readyReplicas', 'replicas'], ['availableReplicas', 'replicas'], ['availableReplicas', 'readyReplicas']]);
}
