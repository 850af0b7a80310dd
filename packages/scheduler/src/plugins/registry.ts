// The in-tree registry: every plugin name → its factory. A profile picks from these.
import type { PluginFactory, Registry } from '../framework/interfaces.js';
import { PluginNames as N, type PluginName } from './names.js';
import { factory as balancedAllocation } from './balanced-allocation/index.js';
import { factory as leastAllocated } from './least-allocated/index.js';
import { factory as nodeAffinity } from './node-affinity/index.js';
import { factory as nodeName } from './node-name/index.js';
import { factory as nodeReady } from './node-ready/index.js';
import { factory as nodeResourcesFit } from './node-resources-fit/index.js';
import { factory as nodeResourcesLoadAware } from './node-resources-load-aware/index.js';
import { factory as nodeUnschedulable } from './node-unschedulable/index.js';
import { factory as interPodAffinity } from './inter-pod-affinity/index.js';
import { factory as podTopologySpread } from './pod-topology-spread/index.js';
import { factory as taintToleration } from './taint-toleration/index.js';
import { factory as defaultPreemption } from './default-preemption/index.js';
import { factory as volumeBinding } from './volume-binding/index.js';

const factories: Record<PluginName, PluginFactory> = {
  [N.NodeUnschedulable]: nodeUnschedulable,
  [N.NodeReady]: nodeReady,
  [N.NodeResourcesFit]: nodeResourcesFit,
  [N.NodeName]: nodeName,
  [N.NodeAffinity]: nodeAffinity,
  [N.TaintToleration]: taintToleration,
  [N.LeastAllocated]: leastAllocated,
  [N.BalancedAllocation]: balancedAllocation,
  [N.NodeResourcesLoadAware]: nodeResourcesLoadAware,
  [N.PodTopologySpread]: podTopologySpread,
  [N.InterPodAffinity]: interPodAffinity,
  [N.DefaultPreemption]: defaultPreemption,
  [N.VolumeBinding]: volumeBinding,
};

export const IN_TREE_REGISTRY: Registry = new Map(Object.entries(factories));
