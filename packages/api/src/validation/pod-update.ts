// What an update may change in a Pod's spec (Kubernetes' ValidatePodUpdate): container
// images, a shorter activeDeadlineSeconds, added tolerations, removed scheduling gates.
// Anything else would mean a different pod, which is what Deployments are for.
import type { Container, Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { inclusiveRangeError } from '../names.js';
import { forbidden, invalid, type Errs } from './field-errors.js';
import { deepEqual, diffPaths } from './equal.js';

export const POD_UPDATABLE_FIELDS =
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function sameToleration(a: Toleration, b: Toleration): boolean {
  return (a.key ?? '') === (b.key ?? '') && (a.operator || 'Equal') === (b.operator || 'Equal') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
}

function validateOnlyAddedTolerations(now: Toleration[] | undefined, old: Toleration[] | undefined): Errs {
  for (const o of old ?? []) {
    const match = (now ?? []).find((n) => sameToleration(n, o));
    if (!match) return [forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
    // NoExecute tolerations may only shorten how long a pod stays on a tainted node.
    if (o.tolerationSeconds !== undefined && (match.tolerationSeconds === undefined || match.tolerationSeconds > o.tolerationSeconds)) {
      return [forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
    }
  }
  return [];
}

/** `c` with the image of `old` (none when `old` has none), so an image change alone is not a difference. */
function withImageOf(c: Container, old: Container | undefined): Container {
  const { image: _image, ...rest } = c;
  return old?.image === undefined ? rest : { ...rest, image: old.image };
}

/** Sets `to[key]` to `from[key]`, or removes it when `from` has none (never a key holding undefined). */
function copyField<T extends object, K extends keyof T>(to: T, from: T, key: K): void {
  if (from[key] === undefined) delete to[key];
  else to[key] = from[key];
}

export function validatePodUpdate(pod: Pod, old: Pod): Errs {
  const errs: Errs = [];
  const spec: PodSpec = pod.spec ?? { containers: [] };
  const oldSpec: PodSpec = old.spec ?? { containers: [] };
  if (deepEqual(spec, oldSpec)) return errs;

  if ((spec.containers ?? []).length !== (oldSpec.containers ?? []).length) {
    errs.push(forbidden('spec.containers', 'pod updates may not add or remove containers'));
    return errs;
  }
  if ((spec.initContainers ?? []).length !== (oldSpec.initContainers ?? []).length) {
    errs.push(forbidden('spec.initContainers', 'pod updates may not add or remove containers'));
    return errs;
  }

  const ads = spec.activeDeadlineSeconds;
  const oldAds = oldSpec.activeDeadlineSeconds;
  if (ads !== undefined) {
    if (ads < 0 || ads > 2147483647) errs.push(invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, 2147483647)));
    else if (oldAds !== undefined && oldAds < ads) errs.push(invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value'));
  } else if (oldAds !== undefined) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...validateOnlyAddedTolerations(spec.tolerations, oldSpec.tolerations));
  const oldGates = new Set((oldSpec.schedulingGates ?? []).map((g) => g.name));
  for (const g of spec.schedulingGates ?? []) {
    if (!oldGates.has(g.name)) errs.push(forbidden('spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${g.name}'`));
  }

  // Take the updatable fields from the old spec; whatever still differs is forbidden.
  const munged: PodSpec = { ...spec, containers: (spec.containers ?? []).map((c, i) => withImageOf(c, oldSpec.containers[i])) };
  for (const key of ['tolerations', 'schedulingGates', 'activeDeadlineSeconds'] as const) copyField(munged, oldSpec, key);
  if (spec.initContainers) munged.initContainers = spec.initContainers.map((c, i) => withImageOf(c, oldSpec.initContainers?.[i]));
  const oldGrace = oldSpec.terminationGracePeriodSeconds;
  if (oldGrace !== undefined && oldGrace < 0 && spec.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  const changed = diffPaths(munged, oldSpec, 'spec');
  if (changed.length) {
    errs.push(forbidden('spec', `pod updates may not change fields other than ${POD_UPDATABLE_FIELDS} (changed: ${changed.join(', ')})`));
  }
  return errs;
}
