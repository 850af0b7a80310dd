// Plugin names: what a profile lists. Kubernetes' own names where the plugin does the same job.
export const PluginNames = {
  NodeUnschedulable: 'NodeUnschedulable',
  NodeReady: 'NodeReady',
  NodeResourcesFit: 'NodeResourcesFit',
  NodeName: 'NodeName',
  NodeAffinity: 'NodeAffinity',
  TaintToleration: 'TaintToleration',
  LeastAllocated: 'LeastAllocated',
  BalancedAllocation: 'BalancedAllocation',
  NodeResourcesLoadAware: 'NodeResourcesLoadAware',
  PodTopologySpread: 'PodTopologySpread',
  InterPodAffinity: 'InterPodAffinity',
  DefaultPreemption: 'DefaultPreemption',
  VolumeBinding: 'VolumeBinding',
} as const;

export type PluginName = (typeof PluginNames)[keyof typeof PluginNames];
