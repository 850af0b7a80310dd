// Where a pod may run: node selectors, node affinity and taints, as the scheduler and the
// DaemonSet controller both need them.
export { compileLabelMap, compileNodeSelector, compileTerm, requiredNodeMatcher, type NodeMatcher } from './node-selector.js';
export { findUntoleratedTaint, toleratedBy, tolerates } from './tolerations.js';
