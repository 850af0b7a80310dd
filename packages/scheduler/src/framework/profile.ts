// A profile: which plugins run at each extension point, the score weights, and how many
// nodes a cycle looks at. The defaults are this one constant; a --config file replaces parts
// of it (config.ts). Plugin names are those of plugins/names.ts.
import { PluginNames as N } from '../plugins/names.js';

export interface WeightedPlugin {
  name: string;
  weight: number;
}

export interface Profile {
  /** Pods whose spec.schedulerName is this (or empty) are ours. */
  schedulerName: string;
  /** PreFilter and Filter both run for each plugin listed here that implements them. */
  filter: readonly string[];
  /** PreScore and Score (and NormalizeScore) run for each plugin listed here. */
  score: readonly WeightedPlugin[];
  reserve: readonly string[];
  /** Run when no node passes Filter (DefaultPreemption). */
  postFilter: readonly string[];
  /** Run in the binding cycle before the bind (VolumeBinding); none when absent. */
  preBind?: readonly string[];
  /**
   * Stop filtering once this percentage of the nodes was found feasible (at least 100
   * nodes), as Kubernetes does on big clusters. 0: Kubernetes' adaptive rule,
   * 50% - 1% per 125 nodes, not below 5%. 100: look at every node.
   */
  percentageOfNodesToScore: number;
}

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

// Filters first that are cheapest and reject most often; the order only changes speed and
// which reason a node is counted under (the first plugin that rejects it), not the result.
export const DEFAULT_PROFILE: Profile = Object.freeze({
  schedulerName: DEFAULT_SCHEDULER_NAME,
  filter: Object.freeze([
    N.NodeUnschedulable,
    N.NodeName,
    N.NodeReady,
    N.TaintToleration,
    N.NodeAffinity,
    N.NodeResourcesFit,
    // The costliest last, as in Kubernetes: they look at other pods.
    N.PodTopologySpread,
    N.InterPodAffinity,
    // PreFilter skips it for pods without claims, so it costs them one check per cycle.
    N.VolumeBinding,
  ]),
  // Kubernetes' default weights: TaintToleration 3, NodeAffinity 2, PodTopologySpread 2,
  // InterPodAffinity 2, the resource scores 1. NodeResourcesLoadAware (not in Kubernetes) gets
  // LeastAllocated's weight, so requests and live use count alike; it skips cycles in which no
  // feasible node has a usage report, which leaves Kubernetes' own balance there.
  score: Object.freeze([
    { name: N.LeastAllocated, weight: 1 },
    { name: N.BalancedAllocation, weight: 1 },
    { name: N.NodeResourcesLoadAware, weight: 1 },
    { name: N.PodTopologySpread, weight: 2 },
    { name: N.InterPodAffinity, weight: 2 },
    { name: N.NodeAffinity, weight: 2 },
    { name: N.TaintToleration, weight: 3 },
  ]),
  reserve: Object.freeze([]),
  postFilter: Object.freeze([N.DefaultPreemption]),
  preBind: Object.freeze([N.VolumeBinding]),
  percentageOfNodesToScore: 0,
});
