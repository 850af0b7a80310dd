// Job validation (Kubernetes' pkg/apis/batch/validation): the spec on every write, what an
// update may change, and the status the Job controller writes.
import type { Job, JobSpec, JobStatus, JobTemplateSpec, PodFailurePolicy } from 'kubernetes-types/batch/v1.js';
import { JOB_CONTROLLER_UID_LABEL, JOB_NAME_LABEL } from '../defaults/batch.js';
import { selectorFromLabelSelector } from '../labels.js';
import { child, index, invalid, nonNegative, notSupported, oneOf, positive, required, type Errs } from './field-errors.js';
import { validateLabelSelector, validateTemplateMeta } from './meta.js';
import { validatePodSpec } from './pod.js';
import { deepEqual } from './equal.js';

/** Kubernetes' caps on an Indexed Job (completions and parallelism). */
export const MAX_INDEXED_JOB_COMPLETIONS = 100_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_EXIT_CODE_VALUES = 255;
const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];
const POD_FAILURE_POLICY_ACTIONS = ['FailJob', 'FailIndex', 'Ignore', 'Count'];

export function validateJob(job: Job): Errs {
  const spec = job.spec;
  if (!spec) return [required('spec.template')];
  return [...validateJobSpec(spec, 'spec'), ...validateGeneratedSelector(job)];
}

/**
 * A CronJob's jobTemplate (Kubernetes' ValidateJobTemplateSpec): the Job spec's rules, except
 * that the selector is generated when each Job is created, so the template may not set one.
 */
export function validateJobTemplateSpec(template: JobTemplateSpec | undefined, path: string): Errs {
  const specPath = child(path, 'spec');
  const spec = template?.spec;
  if (!spec) return [required(child(specPath, 'template'))];
  const errs = validateJobSpec(spec, specPath, false);
  if (spec.selector) errs.push(invalid(child(specPath, 'selector'), spec.selector, '`selector` will be auto-generated'));
  if (spec.manualSelector === true) errs.push(notSupported(child(specPath, 'manualSelector'), true, ['nil', 'false']));
  return errs;
}

function validateJobSpec(spec: JobSpec, path: string, selectorRequired = true): Errs {
  const p = (f: string): string => child(path, f);
  const errs: Errs = [];
  errs.push(...nonNegative(p('parallelism'), spec.parallelism));
  errs.push(...nonNegative(p('completions'), spec.completions));
  errs.push(...positive(p('activeDeadlineSeconds'), spec.activeDeadlineSeconds));
  errs.push(...nonNegative(p('backoffLimit'), spec.backoffLimit));
  errs.push(...nonNegative(p('ttlSecondsAfterFinished'), spec.ttlSecondsAfterFinished));
  errs.push(...oneOf(p('completionMode'), spec.completionMode, ['NonIndexed', 'Indexed']));
  errs.push(...oneOf(p('podReplacementPolicy'), spec.podReplacementPolicy, ['TerminatingOrFailed', 'Failed']));
  if (spec.completionMode === 'Indexed') {
    if (spec.completions === undefined) errs.push(required(p('completions'), 'when completion mode is Indexed'));
    else if (spec.completions > MAX_INDEXED_JOB_COMPLETIONS) errs.push(invalid(p('completions'), spec.completions, `must be less than or equal to ${MAX_INDEXED_JOB_COMPLETIONS} when completion mode is Indexed`));
    if ((spec.parallelism ?? 0) > MAX_INDEXED_JOB_COMPLETIONS) errs.push(invalid(p('parallelism'), spec.parallelism, `must be less than or equal to ${MAX_INDEXED_JOB_COMPLETIONS} when completion mode is Indexed`));
  }
  if (spec.backoffLimitPerIndex !== undefined && spec.completionMode !== 'Indexed') {
    errs.push(invalid(p('backoffLimitPerIndex'), spec.backoffLimitPerIndex, 'requires indexed completion mode'));
  }

  let selectorOk = false;
  if (!spec.selector) {
    if (selectorRequired) errs.push(required(p('selector')));
  } else {
    const selErrs = validateLabelSelector(spec.selector, p('selector'));
    errs.push(...selErrs);
    selectorOk = selErrs.length === 0;
  }
  const tPath = p('template');
  const template = spec.template;
  if (!template) return [...errs, required(tPath)];
  errs.push(...validateTemplateMeta(template.metadata, child(tPath, 'metadata')));
  if (selectorOk && spec.selector && !selectorFromLabelSelector(spec.selector).matches(template.metadata?.labels ?? {})) {
    errs.push(invalid(child(child(tPath, 'metadata'), 'labels'), template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  }
  const specPath = child(tPath, 'spec');
  const podSpec = template.spec;
  // The pod spec's own check accepts Always; a Job's pods must be able to finish.
  errs.push(...validatePodSpec(podSpec, specPath).filter((e) => e.path !== child(specPath, 'restartPolicy')));
  const rp = podSpec?.restartPolicy;
  const rpPath = child(specPath, 'restartPolicy');
  if (rp === undefined || rp === '') errs.push(required(rpPath, `valid values: ${JOB_RESTART_POLICIES.map((v) => JSON.stringify(v)).join(', ')}`));
  else if (!JOB_RESTART_POLICIES.includes(rp)) errs.push(notSupported(rpPath, rp, JOB_RESTART_POLICIES));
  if (spec.podFailurePolicy) {
    errs.push(...validatePodFailurePolicy(spec, spec.podFailurePolicy, p('podFailurePolicy'), (podSpec?.containers ?? []).map((c) => c.name)));
  }
  return errs;
}

function validatePodFailurePolicy(spec: JobSpec, policy: PodFailurePolicy, path: string, containers: readonly string[]): Errs {
  const errs: Errs = [];
  const rulesPath = child(path, 'rules');
  const rules = policy.rules ?? [];
  // The Job's spec, or a CronJob's spec.jobTemplate.spec.
  const specPath = path.slice(0, path.lastIndexOf('.'));
  if (spec.template?.spec?.restartPolicy !== undefined && spec.template.spec.restartPolicy !== 'Never') {
    errs.push(invalid(child(child(child(specPath, 'template'), 'spec'), 'restartPolicy'), spec.template.spec.restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  if (spec.podReplacementPolicy !== undefined && spec.podReplacementPolicy !== 'Failed') {
    errs.push(notSupported(child(specPath, 'podReplacementPolicy'), spec.podReplacementPolicy, ['Failed']));
  }
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES) errs.push({ path: rulesPath, type: 'TooMany', detail: `${rules.length}: must have at most ${MAX_POD_FAILURE_POLICY_RULES} items` });
  rules.forEach((rule, i) => {
    const rp = index(rulesPath, i);
    errs.push(...oneOf(child(rp, 'action'), rule.action, POD_FAILURE_POLICY_ACTIONS));
    if (rule.action === 'FailIndex' && spec.backoffLimitPerIndex === undefined) {
      errs.push(invalid(child(rp, 'action'), rule.action, 'requires the backoffLimitPerIndex to be set'));
    }
    const hasCodes = rule.onExitCodes !== undefined;
    const hasConditions = (rule.onPodConditions ?? []).length > 0;
    if (hasCodes === hasConditions) errs.push(invalid(rp, rule, 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (rule.onExitCodes) {
      const cp = child(rp, 'onExitCodes');
      const req = rule.onExitCodes;
      errs.push(...oneOf(child(cp, 'operator'), req.operator, ['In', 'NotIn']));
      if (req.containerName !== undefined && !containers.includes(req.containerName)) {
        errs.push(invalid(child(cp, 'containerName'), req.containerName, 'must be one of the container or initContainer names in the pod template'));
      }
      const values = req.values ?? [];
      const vp = child(cp, 'values');
      if (values.length === 0) errs.push(required(vp, 'at least one value is required'));
      if (values.length > MAX_EXIT_CODE_VALUES) errs.push({ path: vp, type: 'TooMany', detail: `${values.length}: must have at most ${MAX_EXIT_CODE_VALUES} items` });
      values.forEach((v, j) => {
        if (req.operator === 'In' && v === 0) errs.push(invalid(index(vp, j), v, 'must not be 0 for the In operator'));
        if (j > 0 && v === values[j - 1]) errs.push({ path: index(vp, j), type: 'Duplicate', value: v });
        else if (j > 0 && v < (values[j - 1] ?? 0)) errs.push(invalid(index(vp, j), v, 'must be ordered'));
      });
    }
    (rule.onPodConditions ?? []).forEach((pat, j) => {
      const pp = index(child(rp, 'onPodConditions'), j);
      if (!pat.type) errs.push(required(child(pp, 'type')));
      errs.push(...oneOf(child(pp, 'status'), pat.status, ['True', 'False', 'Unknown']));
    });
  });
  return errs;
}

/**
 * Unless spec.manualSelector is true, the selector was generated from the Job's uid: the
 * template must carry that uid and the Job's name, and the selector must select them.
 */
function validateGeneratedSelector(job: Job): Errs {
  const spec = job.spec;
  if (!spec || spec.manualSelector === true || !spec.selector) return [];
  const uid = job.metadata?.uid;
  if (!uid) return [required('metadata.uid')];
  const errs: Errs = [];
  const labels = spec.template?.metadata?.labels ?? {};
  const lp = 'spec.template.metadata.labels';
  if (labels[JOB_CONTROLLER_UID_LABEL] !== uid) errs.push(invalid(`${lp}[${JOB_CONTROLLER_UID_LABEL}]`, labels[JOB_CONTROLLER_UID_LABEL] ?? '', `must be '${uid}'`));
  const name = job.metadata?.name ?? '';
  if (labels[JOB_NAME_LABEL] !== name) errs.push(invalid(`${lp}[${JOB_NAME_LABEL}]`, labels[JOB_NAME_LABEL] ?? '', `must be '${name}'`));
  if (!selectorFromLabelSelector(spec.selector).matches({ [JOB_CONTROLLER_UID_LABEL]: uid })) {
    errs.push(invalid('spec.selector', spec.selector, '`selector` not auto-generated'));
  }
  return errs;
}

export function validateJobUpdate(job: Job, old: Job): Errs {
  const now = job.spec;
  const was = old.spec;
  const errs: Errs = [];
  const immutable = (field: keyof JobSpec): void => {
    if (!deepEqual(now?.[field], was?.[field])) errs.push(invalid(`spec.${field}`, now?.[field] ?? null, 'field is immutable'));
  };
  immutable('selector');
  immutable('template');
  immutable('completionMode');
  immutable('podFailurePolicy');
  immutable('backoffLimitPerIndex');
  immutable('managedBy');
  // Elastic Indexed Jobs: completions may change together with parallelism, kept equal.
  if (now?.completions !== was?.completions) {
    const elastic = now?.completionMode === 'Indexed' && was?.completionMode === 'Indexed' && now.completions === now.parallelism && was.completions === was.parallelism;
    if (!elastic) errs.push(invalid('spec.completions', now?.completions ?? null, 'field is immutable'));
  }
  return errs;
}

const COMPLETED_INDEXES = /^$|^\d+(-\d+)?(,\d+(-\d+)?)*$/;

export function validateJobStatus(job: Job): Errs {
  const s: JobStatus | undefined = job.status;
  if (!s) return [];
  const errs: Errs = [];
  for (const f of ['active', 'succeeded', 'failed', 'ready', 'terminating'] as const) errs.push(...nonNegative(`status.${f}`, s[f]));
  if (s.completedIndexes !== undefined && !COMPLETED_INDEXES.test(s.completedIndexes)) {
    errs.push(invalid('status.completedIndexes', s.completedIndexes, 'must be a comma-separated list of indexes or ranges such as 0-2,4'));
  }
  (s.conditions ?? []).forEach((c, i) => {
    const cp = index('status.conditions', i);
    if (!c.type) errs.push(required(child(cp, 'type')));
    errs.push(...oneOf(child(cp, 'status'), c.status, ['True', 'False', 'Unknown']));
  });
  return errs;
}
