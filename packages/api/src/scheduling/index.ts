// Where a pod may run: node selectors, node affinity and taints, as the scheduler and the
// DaemonSet controller both need them; and how busy a node is (the usage its agent reports).
export { compileLabelMap, compileNodeSelector, compileTerm, requiredNodeMatcher, type NodeMatcher } from './node-selector.js';
export { findUntoleratedTaint, sameTaint, toleratedBy, tolerates } from './tolerations.js';
export { NODE_USAGE_ANNOTATION, POD_USAGE_ANNOTATION, parseNodeUsage, type NodeUsageParse, type NodeUsageReport, type PodUsage, type ResourceUsage } from './node-usage.js';
