// DefaultPreemption: the PostFilter plugin of Kubernetes' defaultpreemption and
// framework/preemption/preemption.go. When no node fits a pod, find lower-priority pods whose
// eviction would make room, and name the node and the victims:
//
//   eligible? (preemptionPolicy Never; victims still terminating on its nominated node: wait)
//     └▶ potential nodes: rejected as `unschedulable` (an unresolvable rejection — a label, a
//        taint, a cordon — is not cured by evicting pods)
//          └▶ dry run from a random offset until enough candidates (10%, at least 100) are
//             found with at least one that breaks no budget (victims.ts, per node)
//               └▶ pick one (candidates.ts) ─▶ nominated: node, victims, and the lower-priority
//                  pods nominated there, whose nomination goes
//
// The plugin decides only; the scheduler writes nominatedNodeName, marks and deletes the
// victims, records their Preempted events and clears the other nominations.
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterRunner, FrameworkHandle, PostFilterPlugin, PostFilterResult } from '../../framework/interfaces.js';
import type { PodInfo } from '../../framework/pod-info.js';
import { unresolvable, type Status } from '../../framework/status.js';
import { fitErrorMessage } from '../../schedule-one.js';
import { PluginNames } from '../names.js';
import { MIN_CANDIDATE_NODES_ABSOLUTE, MIN_CANDIDATE_NODES_PERCENTAGE, numCandidates, pickOneNodeForPreemption, type Candidate } from './candidates.js';
import { selectVictimsOnNode } from './victims.js';

// Kubernetes' words.
export const NOT_ELIGIBLE_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const NOT_ELIGIBLE_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';
export const REASON_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const DISRUPTION_TARGET = 'DisruptionTarget';
export const PREEMPTION_BY_SCHEDULER = 'PreemptionByScheduler';

const NOT_HELPFUL = unresolvable(REASON_NOT_HELPFUL, PluginNames.DefaultPreemption);
// A victim this plugin chose counts as terminating by preemption until the informer shows its
// DisruptionTarget condition; remembered this long at most.
const PREEMPTED_MEMORY_MS = 5 * 60_000;

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

/** Deleted by a preemption and not gone yet (Kubernetes' podTerminatingByPreemption). */
export function terminatingByPreemption(pod: PodInfo): boolean {
  if (!pod.pod.metadata?.deletionTimestamp) return false;
  const c = (pod.pod.status?.conditions ?? []).find((x) => x.type === DISRUPTION_TARGET);
  return c?.status === 'True' && c.reason === PREEMPTION_BY_SCHEDULER;
}

export class DefaultPreemption implements PostFilterPlugin {
  readonly name = PluginNames.DefaultPreemption;
  private readonly percentage: number;
  private readonly absolute: number;
  // Victims chosen here: key → uid and when.
  private readonly preempted = new Map<string, { uid: string; at: number }>();

  constructor(private readonly handle: FrameworkHandle, args: DefaultPreemptionArgs = {}) {
    this.percentage = args.minCandidateNodesPercentage ?? MIN_CANDIDATE_NODES_PERCENTAGE;
    this.absolute = args.minCandidateNodesAbsolute ?? MIN_CANDIDATE_NODES_ABSOLUTE;
  }

  postFilter(state: CycleState, pod: PodInfo, diagnosis: ReadonlyMap<string, Status>, fw: FilterRunner): PostFilterResult {
    const notEligible = this.whyNotEligible(pod, diagnosis);
    if (notEligible) return { code: 'unschedulable', message: `preemption: ${notEligible}`, clearNomination: false };

    const nodes = this.handle.snapshot.nodes();
    const potential = nodes.filter((n) => diagnosis.get(n.name)?.code === 'unschedulable');
    const statuses = new Map<string, Status>();
    const nonViolating: Candidate[] = [];
    const violating: Candidate[] = [];
    if (potential.length > 0) {
      const want = numCandidates(potential.length, this.percentage, this.absolute);
      const offset = Math.floor((this.handle.random?.() ?? Math.random()) * potential.length);
      const pdbs = this.handle.listers.podDisruptionBudgets();
      for (let i = 0; i < potential.length; i++) {
        const node = potential[(offset + i) % potential.length]!;
        const r = selectVictimsOnNode(fw, state, pod, node, pdbs, state.now);
        if (!r.ok) { statuses.set(node.name, r.status); continue; }
        if (r.victims.length === 0) { statuses.set(node.name, unresolvable(`expected at least one victim pod on node ${node.name}`)); continue; }
        (r.pdbViolations === 0 ? nonViolating : violating).push({ nodeName: node.name, victims: r.victims, pdbViolations: r.pdbViolations });
        if (nonViolating.length > 0 && nonViolating.length + violating.length >= want) break;
      }
    }
    const best = pickOneNodeForPreemption([...nonViolating, ...violating], state.now);
    if (!best) {
      for (const n of nodes) if (!statuses.has(n.name)) statuses.set(n.name, NOT_HELPFUL);
      return { code: 'unschedulable', message: `preemption: ${fitErrorMessage(nodes.length, statuses.values())}`, clearNomination: true };
    }
    this.remember(best.victims, state.now);
    const clearNominated = (this.handle.nominator?.forNode(best.nodeName) ?? []).filter((p) => p.key !== pod.key && p.priority < pod.priority);
    return { code: 'nominated', nodeName: best.nodeName, victims: best.victims, clearNominated };
  }

  /** Kubernetes' PodEligibleToPreemptOthers: why the pod may not preempt now, or undefined. */
  private whyNotEligible(pod: PodInfo, diagnosis: ReadonlyMap<string, Status>): string | undefined {
    if (pod.pod.spec?.preemptionPolicy === 'Never') return NOT_ELIGIBLE_NEVER;
    const nominated = this.handle.nominator?.nodeOf(pod.key) ?? pod.pod.status?.nominatedNodeName;
    if (!nominated) return undefined;
    // The nominated node cannot take it any more whatever goes: preempt elsewhere.
    if (diagnosis.get(nominated)?.code === 'unresolvable') return undefined;
    const node = this.handle.snapshot.nodes().find((n) => n.name === nominated);
    for (const p of node?.pods.values() ?? []) {
      if (p.priority < pod.priority && (terminatingByPreemption(p) || this.preempted.get(p.key)?.uid === p.pod.metadata?.uid)) return NOT_ELIGIBLE_TERMINATING;
    }
    return undefined;
  }

  private remember(victims: readonly PodInfo[], now: number): void {
    for (const [key, v] of this.preempted) if (now - v.at > PREEMPTED_MEMORY_MS) this.preempted.delete(key);
    for (const v of victims) this.preempted.set(v.key, { uid: v.pod.metadata?.uid ?? '', at: now });
  }
}

export const factory = (handle: FrameworkHandle): DefaultPreemption => new DefaultPreemption(handle);
