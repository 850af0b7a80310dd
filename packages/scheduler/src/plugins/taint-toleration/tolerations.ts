// Kubernetes' toleration rule (v1helper.TolerationsTolerateTaint), shared by the filters that
// look at taints (TaintToleration, NodeUnschedulable). One definition in @tugboat/api, which
// the DaemonSet controller and node lifecycle use too: a pod the scheduler places must be one
// eviction keeps.
export { toleratedBy, tolerates } from '@tugboat/api';
