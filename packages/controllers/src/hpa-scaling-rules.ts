// From what the metrics ask for to what the HPA sets (Kubernetes' horizontal.go:
// normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors), pure. The controller
// keeps, per HPA, its recent recommendations and scale events and passes them in; each
// function returns the new lists with its answer.
//
//   without spec.behavior: the highest recommendation of the downscale window ─▶ min/max and
//     at most max(2 × current, 4) (ScaleUpLimit)
//   with spec.behavior: clamp between the lowest recommendation of the scale-up window and
//     the highest of the scale-down window ─▶ each direction's policies (Pods/Percent per
//     periodSeconds, selectPolicy Max/Min/Disabled, over the changes already made in the
//     period) ─▶ min/max
import type { HPAScalingRules } from '@tugboat/api';

export interface Recommendation { readonly timestampMs: number; readonly replicas: number }
export interface ScaleEvent { readonly timestampMs: number; readonly change: number; readonly outdated: boolean }

/** A condition the controller sets: its reason and Kubernetes' message. */
export interface ReasonMessage { readonly reason: string; readonly message: string }

export interface Normalized {
  readonly replicas: number;
  /** AbleToScale (True): why the recommendation is what it is. */
  readonly ableToScale: ReasonMessage;
  /** ScalingLimited: True when min/max or a rate cut the recommendation. */
  readonly limited: boolean;
  readonly limitReason: ReasonMessage;
  readonly recommendations: Recommendation[];
}

const READY_FOR_NEW_SCALE: ReasonMessage = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const SCALE_DOWN_STABILIZED: ReasonMessage = {
  reason: 'ScaleDownStabilized', message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const SCALE_UP_STABILIZED: ReasonMessage = {
  reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const WITHIN_RANGE: ReasonMessage = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const TOO_FEW: ReasonMessage = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const TOO_MANY: ReasonMessage = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const SCALE_UP_LIMIT: ReasonMessage = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const SCALE_DOWN_LIMIT: ReasonMessage = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/** Records a recommendation, reusing the slot of one older than every window (as Kubernetes does). */
function record(recs: readonly Recommendation[], rec: Recommendation, isOld: (r: Recommendation) => boolean): Recommendation[] {
  const out = [...recs];
  let old = -1;
  out.forEach((r, i) => { if (isOld(r)) old = i; });
  if (old >= 0) out[old] = rec;
  else out.push(rec);
  return out;
}

/** Without behavior: never more than max(2 × current, 4) in one step (calculateScaleUpLimit). */
function legacyScaleUpLimit(current: number): number {
  return Math.max(2 * current, 4);
}

/** normalizeDesiredReplicas: the stabilized recommendation within min, max and the legacy rate. */
export function normalizeLegacy(args: {
  current: number; desired: number; min: number; max: number; windowMs: number; nowMs: number; recommendations: readonly Recommendation[];
}): Normalized {
  const cutoff = args.nowMs - args.windowMs;
  let stabilized = args.desired;
  for (const r of args.recommendations) if (r.timestampMs > cutoff) stabilized = Math.max(stabilized, r.replicas);
  const recommendations = record(args.recommendations, { timestampMs: args.nowMs, replicas: args.desired }, (r) => r.timestampMs <= cutoff);
  const ableToScale = stabilized !== args.desired ? SCALE_DOWN_STABILIZED : READY_FOR_NEW_SCALE;

  const upLimit = legacyScaleUpLimit(args.current);
  const [maxAllowed, overMax] = args.max > upLimit ? [upLimit, SCALE_UP_LIMIT] : [args.max, TOO_MANY];
  let replicas = stabilized;
  let limitReason = WITHIN_RANGE;
  if (stabilized < args.min) { replicas = args.min; limitReason = TOO_FEW; }
  else if (stabilized > maxAllowed) { replicas = maxAllowed; limitReason = overMax; }
  return { replicas, ableToScale, limited: replicas !== stabilized, limitReason, recommendations };
}

/** Σ changes made within the last `periodSeconds` (getReplicasChangePerPeriod). */
function changeInPeriod(periodSeconds: number, events: readonly ScaleEvent[], nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  let sum = 0;
  for (const e of events) if (e.timestampMs > cutoff) sum += e.change;
  return sum;
}

type Direction = 'up' | 'down';

/** How far one step may go: each policy from the count at the start of its period, the policies combined by selectPolicy. */
export function scaleLimit(direction: Direction, current: number, upEvents: readonly ScaleEvent[], downEvents: readonly ScaleEvent[], rules: HPAScalingRules, nowMs: number): number {
  const select = rules.selectPolicy ?? 'Max';
  if (select === 'Disabled') return current;
  // Scaling up, Max picks the largest step; scaling down, Max picks the largest step too, the lowest count.
  const pickHigh = (direction === 'up') === (select === 'Max');
  let result = pickHigh ? -Infinity : Infinity;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, upEvents, nowMs) + changeInPeriod(p.periodSeconds, downEvents, nowMs);
    let proposed: number;
    if (direction === 'up') proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    else proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pickHigh ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return Number.isFinite(result) ? result : current;
}

/** normalizeDesiredReplicasWithBehaviors. `scaleDown.stabilizationWindowSeconds` must already be filled in. */
export function normalizeWithBehavior(args: {
  current: number; desired: number; min: number; max: number; nowMs: number;
  scaleUp: HPAScalingRules; scaleDown: HPAScalingRules;
  recommendations: readonly Recommendation[]; upEvents: readonly ScaleEvent[]; downEvents: readonly ScaleEvent[];
}): Normalized {
  const upCutoff = args.nowMs - (args.scaleUp.stabilizationWindowSeconds ?? 0) * 1000;
  const downCutoff = args.nowMs - (args.scaleDown.stabilizationWindowSeconds ?? 0) * 1000;
  let upRec = args.desired;
  let downRec = args.desired;
  for (const r of args.recommendations) {
    if (r.timestampMs > upCutoff) upRec = Math.min(upRec, r.replicas);
    if (r.timestampMs > downCutoff) downRec = Math.max(downRec, r.replicas);
  }
  const stabilized = Math.min(Math.max(args.current, upRec), downRec);
  const recommendations = record(args.recommendations, { timestampMs: args.nowMs, replicas: args.desired },
    (r) => r.timestampMs < upCutoff && r.timestampMs < downCutoff);
  const ableToScale = stabilized === args.desired ? READY_FOR_NEW_SCALE : args.desired >= args.current ? SCALE_UP_STABILIZED : SCALE_DOWN_STABILIZED;

  let replicas = stabilized;
  let limitReason = WITHIN_RANGE;
  if (stabilized > args.current) {
    const limit = Math.max(args.current, scaleLimit('up', args.current, args.upEvents, args.downEvents, args.scaleUp, args.nowMs));
    const [maxAllowed, why] = args.max > limit ? [limit, SCALE_UP_LIMIT] : [args.max, TOO_MANY];
    if (stabilized > maxAllowed) { replicas = maxAllowed; limitReason = why; }
  } else if (stabilized < args.current) {
    const limit = Math.min(args.current, scaleLimit('down', args.current, args.upEvents, args.downEvents, args.scaleDown, args.nowMs));
    const [minAllowed, why] = args.min < limit ? [limit, SCALE_DOWN_LIMIT] : [args.min, TOO_FEW];
    if (stabilized < minAllowed) { replicas = minAllowed; limitReason = why; }
  }
  return { replicas, ableToScale, limited: replicas !== stabilized, limitReason, recommendations };
}

/** The longest policy period of a direction: events older than it no longer matter. */
function longestPeriodMs(rules: HPAScalingRules | undefined): number {
  return Math.max(0, ...(rules?.policies ?? []).map((p) => p.periodSeconds)) * 1000;
}

/** storeScaleEvent: a rescale recorded in its direction's list, reusing an outdated slot. */
export function recordScaleEvent(events: readonly ScaleEvent[], rules: HPAScalingRules | undefined, change: number, nowMs: number): ScaleEvent[] {
  const cutoff = nowMs - longestPeriodMs(rules);
  const marked = events.map((e) => (e.timestampMs <= cutoff ? { ...e, outdated: true } : e));
  const next: ScaleEvent = { timestampMs: nowMs, change, outdated: false };
  let old = -1;
  marked.forEach((e, i) => { if (e.outdated) old = i; });
  if (old >= 0) marked[old] = next;
  else marked.push(next);
  return marked;
}
