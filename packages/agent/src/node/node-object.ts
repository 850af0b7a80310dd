// The Node object this agent registers and keeps current — built here, purely, from the
// node's configuration, the machine facts and the clock.
import { sameTaint, type KubeObject, type Node, type NodeCondition, type NodeStatus, type Taint } from '@tugboat/api';
import { isDeepStrictEqual } from 'node:util';

export type NodeObject = Node & KubeObject;

// The usage report's annotations: the contract with its readers lives in @tugboat/api.
export { NODE_USAGE_ANNOTATION as USAGE_ANNOTATION, POD_USAGE_ANNOTATION } from '@tugboat/api';

export interface NodeSystemInfo {
  machineID: string;
  systemUUID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  operatingSystem: string;
  architecture: string;
}

export interface NodeConfig {
  nodeName: string;
  /** Extra labels (--labels); they win over the defaults. */
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  internalIP: string;
  /** The agent's gRPC port: where the API server sends Pods.Logs. */
  port: number;
  nodeInfo: NodeSystemInfo;
  /** --pod-cidr: written to spec.podCIDR at registration (else the node IPAM controller gives one). */
  podCIDR?: string;
  /** Annotations the agent owns (tugboat.io/local-path-dir); set at registration and kept. */
  annotations?: Record<string, string>;
}

/** Node.js's os.arch() → Kubernetes' (Go's) GOARCH. */
export function goArch(nodeArch: string): string {
  switch (nodeArch) {
    case 'x64': return 'amd64';
    case 'ia32': return '386';
    case 'arm': return 'arm';
    case 'arm64': return 'arm64';
    case 'ppc64': return 'ppc64le';
    case 's390x': return 's390x';
    default: return nodeArch;
  }
}

export function nodeLabels(cfg: NodeConfig): Record<string, string> {
  return {
    'kubernetes.io/hostname': cfg.nodeName,
    'kubernetes.io/os': cfg.nodeInfo.operatingSystem,
    'kubernetes.io/arch': cfg.nodeInfo.architecture,
    ...cfg.labels,
  };
}

export function newNode(cfg: NodeConfig): NodeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: cfg.nodeName, labels: nodeLabels(cfg), ...(cfg.annotations ? { annotations: { ...cfg.annotations } } : {}) },
    spec: {
      ...(cfg.taints.length ? { taints: cfg.taints } : {}),
      ...(cfg.podCIDR ? { podCIDR: cfg.podCIDR, podCIDRs: [cfg.podCIDR] } : {}),
    },
  };
}

/**
 * An existing Node (agent restart, node return) brought in line with our configuration:
 * our labels set, our taints added if missing. Nothing else is touched — not taints others
 * put there (the node lifecycle controller's unreachable taint), not cordon
 * (spec.unschedulable). Undefined when nothing needs to change.
 */
export function reconcileNode(existing: NodeObject, cfg: NodeConfig): NodeObject | undefined {
  const labels = { ...(existing.metadata?.labels ?? {}) };
  let changed = false;
  for (const [k, v] of Object.entries(nodeLabels(cfg))) {
    if (labels[k] !== v) { labels[k] = v; changed = true; }
  }
  const annotations = { ...(existing.metadata?.annotations ?? {}) };
  for (const [k, v] of Object.entries(cfg.annotations ?? {})) {
    if (annotations[k] !== v) { annotations[k] = v; changed = true; }
  }
  const taints = [...(existing.spec?.taints ?? [])];
  for (const t of cfg.taints) {
    if (!taints.some((x) => sameTaint(x, t))) { taints.push(t); changed = true; }
  }
  // A Node without a pod CIDR takes the agent's --pod-cidr (once set, spec.podCIDR is immutable).
  const podCIDR = !existing.spec?.podCIDR && cfg.podCIDR ? cfg.podCIDR : undefined;
  if (podCIDR) changed = true;
  if (!changed) return undefined;
  return {
    ...existing,
    metadata: { ...existing.metadata, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: { ...existing.spec, ...(taints.length ? { taints } : {}), ...(podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {}) },
  };
}

const CONDITIONS: readonly { type: string; status: 'True' | 'False'; reason: string; message: string }[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'agent has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'agent has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'agent has sufficient PID available' },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'agent is posting ready status' },
];

/** The status the agent reports: heartbeat now; transition times kept while a condition holds. */
export function nodeStatus(cfg: NodeConfig, current: NodeStatus | undefined, now: Date): NodeStatus {
  const ts = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const conditions: NodeCondition[] = CONDITIONS.map((c) => {
    const old = current?.conditions?.find((x) => x.type === c.type);
    return {
      ...c,
      lastHeartbeatTime: ts,
      lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : ts,
    };
  });
  // Conditions other components add stay as they are.
  const others = (current?.conditions ?? []).filter((x) => !CONDITIONS.some((c) => c.type === x.type));
  return {
    ...current,
    capacity: cfg.capacity,
    allocatable: cfg.allocatable,
    conditions: [...others, ...conditions],
    addresses: [
      { type: 'InternalIP', address: cfg.internalIP },
      { type: 'Hostname', address: cfg.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: cfg.port } },
    nodeInfo: cfg.nodeInfo,
  };
}

/**
 * Does `next` say anything `stored` does not, heartbeat times aside? (kubelet's
 * nodeStatusHasChanged: an unchanged status waits for the report interval.)
 */
export function statusChanged(stored: NodeStatus | undefined, next: NodeStatus): boolean {
  // Through JSON, as the API server stores it (no undefined members); key order aside.
  const withoutHeartbeats = (s: NodeStatus | undefined): unknown => JSON.parse(JSON.stringify(s === undefined ? null : {
    ...s,
    conditions: (s.conditions ?? []).map(({ lastHeartbeatTime: _beat, ...rest }) => rest),
  })) as unknown;
  return !isDeepStrictEqual(withoutHeartbeats(stored), withoutHeartbeats(next));
}

/** Did Ready just become True (for the NodeReady event)? */
export function becameReady(before: NodeStatus | undefined): boolean {
  return before?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True';
}

/** "cpu=4,memory=8Gi,pods=50" overrides over the machine's own figures. */
export function applyCapacityOverrides(machine: Record<string, string>, overrides: Record<string, string>): Record<string, string> {
  return { ...machine, ...overrides };
}
