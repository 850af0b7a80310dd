// Kubernetes' node selector rules live in @tugboat/api (scheduling/node-selector.ts): the
// DaemonSet controller decides with the same ones where a daemon pod belongs.
export { compileLabelMap, compileNodeSelector, compileTerm, requiredNodeMatcher, type NodeMatcher } from '@tugboat/api';
