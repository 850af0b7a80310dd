// LoadAwareScoring: requests that lie. Half the nodes run pods that burn far more cpu than they
// requested (their agents say so in the usage report on the Node); the other half run pods
// with the same requests that sit idle. By requests alone the two kinds are the same, and
// LeastAllocated splits new pods evenly; NodeResourcesLoadAware should send them to the idle
// half. The bench places the same 100 pods with and without it and counts per kind.
import { NODE_USAGE_ANNOTATION, POD_USAGE_ANNOTATION, type Node, type Pod } from '@tugboat/api';

export const LOAD_AWARE_SCENARIO = {
  name: 'LoadAwareScoring',
  nodes: 20,
  runningPerNode: 4,
  /** What each running pod asks for, and what it uses on a busy and on an idle node. */
  request: { cpu: '250m', memory: '512Mi' },
  busyUse: { cpu: '900m', memory: '512Mi' },
  idleUse: { cpu: '20m', memory: '128Mi' },
  placements: 100,
} as const;

export type NodeKind = 'busy' | 'idle';

export function loadAwareKind(nodeName: string): NodeKind {
  return Number(nodeName.split('-').pop()) % 2 === 1 ? 'busy' : 'idle';
}

const resources = { cpu: '4', memory: '16Gi', pods: '110' };

/** The nodes with their agents' usage reports, and the pods running on them (bound). */
export function loadAwareCluster(at: Date): { nodes: Node[]; running: Pod[] } {
  const s = LOAD_AWARE_SCENARIO;
  const nodes: Node[] = [];
  const running: Pod[] = [];
  for (let i = 1; i <= s.nodes; i++) {
    const name = `node-${i}`;
    const use = loadAwareKind(name) === 'busy' ? s.busyUse : s.idleUse;
    const podUsage: Record<string, { cpu: string; memory: string }> = {};
    for (let j = 1; j <= s.runningPerNode; j++) {
      const pod = `running-${i}-${j}`;
      podUsage[`default/${pod}`] = use;
      running.push({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: pod, namespace: 'default', uid: `uid-${pod}` },
        spec: { nodeName: name, containers: [{ name: 'app', image: 'busybox', resources: { requests: s.request } }] },
        status: { phase: 'Running' },
      });
    }
    nodes.push({
      apiVersion: 'v1', kind: 'Node',
      metadata: {
        name, labels: { 'kubernetes.io/hostname': name },
        annotations: {
          [NODE_USAGE_ANNOTATION]: JSON.stringify({ cpu: '0', memory: '0', timestamp: at.toISOString() }),
          [POD_USAGE_ANNOTATION]: JSON.stringify(podUsage),
        },
      },
      spec: {},
      status: { capacity: resources, allocatable: resources, conditions: [{ type: 'Ready', status: 'True' }] },
    });
  }
  return { nodes, running };
}

/** The pods placed: 100m / 128Mi each. */
export function loadAwarePods(): Pod[] {
  return Array.from({ length: LOAD_AWARE_SCENARIO.placements }, (_, i) => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `new-${i + 1}`, namespace: 'default', uid: `uid-new-${i + 1}` },
    spec: { schedulerName: 'default-scheduler', containers: [{ name: 'app', image: 'busybox', resources: { requests: { cpu: '100m', memory: '128Mi' } } }] },
  }));
}
