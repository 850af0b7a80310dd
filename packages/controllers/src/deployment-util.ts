// Revisions, annotations, conditions and "which ReplicaSet is new" for Deployments (pure).
import type { DeploymentStatus, PodTemplateSpec } from '@tugboat/api';
import { LAST_APPLIED_ANNOTATION, rfc3339 } from '@tugboat/api';
import { deepEqual } from './canonical.js';
import type { DeploymentObject, ReplicaSetObject } from './informers.js';
import { POD_TEMPLATE_HASH_LABEL } from './pod-template-hash.js';
import { DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, byCreationOldestFirst } from './rollout.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
/** The legacy rollback request (extensions/v1beta1 `rollbackTo`, kept as an annotation). */
export const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';

export const DEFAULT_REVISION_HISTORY_LIMIT = 10;
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

export type DeploymentCondition = NonNullable<DeploymentStatus['conditions']>[number];

// Condition reasons, Kubernetes' own strings.
export const REASON = {
  newRSAvailable: 'NewReplicaSetAvailable',
  rsUpdated: 'ReplicaSetUpdated',
  newRSCreated: 'NewReplicaSetCreated',
  foundNewRS: 'FoundNewReplicaSet',
  failedRSCreate: 'ReplicaSetCreateError',
  timedOut: 'ProgressDeadlineExceeded',
  paused: 'DeploymentPaused',
  resumed: 'DeploymentResumed',
  minimumAvailable: 'MinimumReplicasAvailable',
  minimumUnavailable: 'MinimumReplicasUnavailable',
} as const;

// Deployment annotations that are the controller's own or apply's, not the user's: they are
// not copied onto ReplicaSets.
const NOT_COPIED = new Set([
  LAST_APPLIED_ANNOTATION, REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, ROLLBACK_TO_ANNOTATION,
]);

export function revisionOf(obj: { metadata?: { annotations?: Record<string, string> } } | undefined): number {
  const v = Number(obj?.metadata?.annotations?.[REVISION_ANNOTATION]);
  return Number.isInteger(v) && v > 0 ? v : 0;
}

export function maxRevision(rss: readonly ReplicaSetObject[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

/** The revision before the newest: where `rollout undo` goes by default. */
export function lastRevision(rss: readonly ReplicaSetObject[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    const v = revisionOf(rs);
    if (v >= max) { second = max; max = v; } else if (v > second) second = v;
  }
  return second;
}

function withoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  const c: PodTemplateSpec = structuredClone(t ?? {});
  const labels = c.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
    delete labels[POD_TEMPLATE_HASH_LABEL];
    if (Object.keys(labels).length === 0 && c.metadata) delete c.metadata.labels;
  }
  return c;
}

/** Same template, ignoring the pod-template-hash label the controller adds. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  return deepEqual(withoutHash(a), withoutHash(b));
}

export function templateWithoutHash(t: PodTemplateSpec | undefined): PodTemplateSpec {
  return withoutHash(t);
}

/** The ReplicaSet running the Deployment's current template; the oldest if there are several. */
export function findNewReplicaSet(d: DeploymentObject, rss: readonly ReplicaSetObject[]): ReplicaSetObject | undefined {
  return [...rss].sort(byCreationOldestFirst).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Copies the Deployment's own annotations onto the ReplicaSet; true if anything changed. */
export function copyDeploymentAnnotations(d: DeploymentObject, rs: ReplicaSetObject): boolean {
  let changed = false;
  const ann = { ...(rs.metadata?.annotations ?? {}) };
  for (const [k, v] of Object.entries(d.metadata?.annotations ?? {})) {
    if (NOT_COPIED.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  if (changed) rs.metadata = { ...rs.metadata, annotations: ann };
  return changed;
}

/**
 * Annotations of the new ReplicaSet: the Deployment's, plus its revision — raised to
 * `newRevision` when it was an older one (a rollback to it makes it the newest); the
 * revisions it had before go to revision-history. True if anything changed.
 */
export function setNewReplicaSetAnnotations(d: DeploymentObject, rs: ReplicaSetObject, newRevision: number): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const ann = { ...(rs.metadata?.annotations ?? {}) };
  const old = revisionOf(rs);
  if (old < newRevision) {
    if (old > 0) {
      const history = ann[REVISION_HISTORY_ANNOTATION] ? ann[REVISION_HISTORY_ANNOTATION].split(',') : [];
      history.push(String(old));
      ann[REVISION_HISTORY_ANNOTATION] = history.join(',');
    }
    ann[REVISION_ANNOTATION] = String(newRevision);
    changed = true;
  }
  if (changed) rs.metadata = { ...rs.metadata, annotations: ann };
  return changed;
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, nowMs: number): DeploymentCondition {
  const t = rfc3339(nowMs);
  return { type, status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/**
 * Kubernetes' SetDeploymentCondition: the same status and reason leaves the condition as it
 * is; the same status keeps its lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, cond: DeploymentCondition): void {
  const current = getCondition(status, cond.type);
  if (current && current.status === cond.status && current.reason === cond.reason) return;
  const next = current && current.status === cond.status ? withTransitionOf(cond, current) : cond;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== cond.type), next];
}

/**
 * cond carrying from's lastTransitionTime: the status did not change. A from without one
 * (written by someone else) gives a cond without one, as Kubernetes copies its zero time.
 */
export function withTransitionOf(cond: DeploymentCondition, from: DeploymentCondition): DeploymentCondition {
  const { lastTransitionTime: _fresh, ...rest } = cond;
  return from.lastTransitionTime === undefined ? rest : { ...rest, lastTransitionTime: from.lastTransitionTime };
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

export function progressDeadlineSeconds(d: DeploymentObject): number | undefined {
  const v = d.spec?.progressDeadlineSeconds ?? DEFAULT_PROGRESS_DEADLINE_SECONDS;
  // MaxInt32 means "no deadline" in Kubernetes.
  return v >= 2147483647 ? undefined : v;
}

/** The Progressing condition has not moved for progressDeadlineSeconds. */
export function deploymentTimedOut(d: DeploymentObject, status: DeploymentStatus, nowMs: number): boolean {
  const deadline = progressDeadlineSeconds(d);
  if (deadline === undefined) return false;
  const cond = getCondition(status, 'Progressing');
  if (!cond) return false;
  if (cond.reason === REASON.newRSAvailable) return false;
  if (cond.reason === REASON.timedOut) return true;
  const from = Date.parse(cond.lastUpdateTime ?? '');
  if (!Number.isFinite(from)) return false;
  return from + deadline * 1000 < nowMs;
}
