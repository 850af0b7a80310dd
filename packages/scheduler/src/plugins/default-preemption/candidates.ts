// Choosing among the nodes where preemption would work (Kubernetes' pickOneNodeForPreemption),
// and how many of them to look for (calculateNumCandidates).
import type { PodInfo } from '../../framework/pod-info.js';
import { podStartTime } from './victims.js';

export interface Candidate {
  readonly nodeName: string;
  /** Most important first. */
  readonly victims: readonly PodInfo[];
  readonly pdbViolations: number;
}

/** Kubernetes' DefaultPreemptionArgs defaults. */
export const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
export const MIN_CANDIDATE_NODES_ABSOLUTE = 100;

/** How many candidates a dry run looks for among `numNodes` potential nodes: a percentage, at least the absolute minimum, at most all. */
export function numCandidates(numNodes: number, percentage = MIN_CANDIDATE_NODES_PERCENTAGE, absolute = MIN_CANDIDATE_NODES_ABSOLUTE): number {
  return Math.min(numNodes, Math.max(Math.floor((numNodes * percentage) / 100), absolute));
}

// Priorities are int32; shifting them to be non-negative keeps a node with a few victims of a
// negative priority from looking better than one with fewer such victims.
const PRIORITY_OFFSET = 2 ** 31;

/**
 * The node to preempt on, each rule breaking the ties of the one before: fewest budget
 * violations; lowest highest-victim priority; smallest sum of victim priorities; fewest
 * victims; latest start among the highest-priority victims (the earliest of them); the first.
 */
export function pickOneNodeForPreemption(candidates: readonly Candidate[], now: number): Candidate | undefined {
  const rules: ((c: Candidate) => number)[] = [
    (c) => -c.pdbViolations,
    (c) => -(c.victims[0]?.priority ?? 0),
    (c) => -c.victims.reduce((sum, v) => sum + v.priority + PRIORITY_OFFSET, 0),
    (c) => -c.victims.length,
    (c) => earliestStartOfHighestPriority(c, now),
  ];
  let left = candidates;
  for (const score of rules) {
    if (left.length <= 1) break;
    let best = -Infinity;
    let kept: Candidate[] = [];
    for (const c of left) {
      const s = score(c);
      if (s > best) { best = s; kept = [c]; } else if (s === best) kept.push(c);
    }
    left = kept;
  }
  return left[0];
}

function earliestStartOfHighestPriority(c: Candidate, now: number): number {
  const top = c.victims[0]?.priority;
  let earliest = Infinity;
  for (const v of c.victims) if (v.priority === top) earliest = Math.min(earliest, podStartTime(v.pod, now));
  return earliest === Infinity ? -Infinity : earliest;
}
