// The table columns `tctl get` prints for each kind, as kubectl prints them. Each kind
// gives its headers and one row per object; NAMESPACE (with -A) and label columns are
// added around them by the caller.
import type {
  ConfigMap, Deployment, EndpointSlice, Endpoints, Event, KubeObject, Lease, Namespace, Node, Pod, ReplicaSet, Secret, PodTemplateSpec, Service,
} from '@tugboat/api';
import { age } from './age.js';
import { formatLabels, formatSelector, orNone } from './format.js';
import { podSummary } from './pod-status.js';
import { formatCpu, formatMemory, isActivePod, parseBytes, parseCpuMilli, podAmounts } from './resources.js';
import { formatEndpoints, formatSliceEndpoints, formatSlicePorts, serviceClusterIP, serviceExternalIP, servicePorts } from './services.js';

export interface RowContext {
  now: number;
  wide: boolean;
  /** The NAME cell: the object's name, or "pod/web" when several kinds are printed. */
  name: string;
  /** Pods per node name, for `get nodes -o wide` (requests and pod counts). */
  podsByNode?: ReadonlyMap<string, readonly Pod[]>;
}

export interface KindColumns {
  headers(wide: boolean): string[];
  row(obj: KubeObject, ctx: RowContext): string[];
  /** Row order; the default is by namespace, then name. */
  sort?(a: KubeObject, b: KubeObject): number;
  /** Whether `get nodes -o wide` style extra data (pods per node) is needed. */
  needsPods?: boolean;
}

const created = (o: KubeObject, now: number): string => age(o.metadata?.creationTimestamp, now);

function templateColumns(t: PodTemplateSpec | undefined): [string, string] {
  const containers = t?.spec?.containers ?? [];
  return [orNone(containers.map((c) => c.name).join(',')), orNone(containers.map((c) => c.image ?? '').join(','))];
}

const pods: KindColumns = {
  headers: (wide) => ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', ...(wide ? ['IP', 'NODE'] : [])],
  row(o, ctx) {
    const pod = o as Pod;
    const s = podSummary(pod, ctx.now);
    const row = [ctx.name, s.ready, s.status, s.restarts, created(o, ctx.now)];
    if (ctx.wide) row.push(orNone(pod.status?.podIP), orNone(pod.spec?.nodeName));
    return row;
  },
};

const deployments: KindColumns = {
  headers: (wide) => ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', ...(wide ? ['CONTAINERS', 'IMAGES', 'SELECTOR'] : [])],
  row(o, ctx) {
    const d = o as Deployment;
    const st = d.status ?? {};
    const row = [ctx.name, `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 1}`, String(st.updatedReplicas ?? 0), String(st.availableReplicas ?? 0), created(o, ctx.now)];
    if (ctx.wide) row.push(...templateColumns(d.spec?.template), formatSelector(d.spec?.selector));
    return row;
  },
};

const replicasets: KindColumns = {
  headers: (wide) => ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', ...(wide ? ['CONTAINERS', 'IMAGES', 'SELECTOR'] : [])],
  row(o, ctx) {
    const rs = o as ReplicaSet;
    const row = [ctx.name, String(rs.spec?.replicas ?? 1), String(rs.status?.replicas ?? 0), String(rs.status?.readyReplicas ?? 0), created(o, ctx.now)];
    if (ctx.wide) row.push(...templateColumns(rs.spec?.template), formatSelector(rs.spec?.selector));
    return row;
  },
};

export function nodeStatus(node: Node): string {
  const ready = (node.status?.conditions ?? []).find((c) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
  if (node.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice('node-role.kubernetes.io/'.length) || v);
    else if (k === 'kubernetes.io/role' && v) roles.add(v);
  }
  return roles.size ? [...roles].sort().join(',') : '<none>';
}

export function internalIP(node: Node): string {
  return orNone((node.status?.addresses ?? []).find((a) => a.type === 'InternalIP')?.address);
}

const nodes: KindColumns = {
  headers: (wide) => ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', ...(wide ? ['INTERNAL-IP', 'CPU(REQ/ALLOC)', 'MEMORY(REQ/ALLOC)', 'PODS'] : [])],
  needsPods: true,
  row(o, ctx) {
    const n = o as Node;
    const row = [ctx.name, nodeStatus(n), nodeRoles(n), created(o, ctx.now), orNone(n.status?.nodeInfo?.kubeletVersion)];
    if (ctx.wide) {
      const onNode = (ctx.podsByNode?.get(n.metadata?.name ?? '') ?? []).filter(isActivePod);
      let cpu = 0;
      let mem = 0;
      for (const p of onNode) {
        const r = podAmounts(p, 'requests');
        cpu += r.cpuMilli;
        mem += r.memory;
      }
      const alloc = n.status?.allocatable ?? {};
      row.push(
        internalIP(n),
        `${formatCpu(cpu)}/${formatCpu(parseCpuMilli(alloc['cpu']))}`,
        `${formatMemory(mem)}/${formatMemory(parseBytes(alloc['memory']))}`,
        `${onNode.length}/${alloc['pods'] ?? '?'}`,
      );
    }
    return row;
  },
};

const namespaces: KindColumns = {
  headers: () => ['NAME', 'STATUS', 'AGE'],
  row: (o, ctx) => [ctx.name, (o as Namespace).status?.phase ?? 'Active', created(o, ctx.now)],
};

/** When an event last happened: lastTimestamp, else eventTime, else firstTimestamp, else creation. */
export function eventTime(e: Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? Date.parse(t) || 0 : 0;
}

export function eventObject(e: Event): string {
  const io = e.involvedObject;
  return `${(io?.kind ?? '').toLowerCase()}/${io?.name ?? ''}`;
}

const events: KindColumns = {
  headers: (wide) => ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', ...(wide ? ['SOURCE'] : []), 'MESSAGE', ...(wide ? ['FIRST SEEN', 'COUNT', 'NAME'] : [])],
  sort: (a, b) => eventTime(a as unknown as Event) - eventTime(b as unknown as Event),
  row(o, ctx) {
    const e = o as unknown as Event;
    const last = eventTime(e);
    const row = [last ? age(new Date(last).toISOString(), ctx.now) : '<unknown>', e.type ?? '', e.reason ?? '', eventObject(e)];
    if (ctx.wide) row.push(orNone(e.source?.component ?? e.reportingComponent));
    row.push((e.message ?? '').replace(/\s*\n\s*/g, ' '));
    if (ctx.wide) row.push(age(e.firstTimestamp ?? e.metadata?.creationTimestamp, ctx.now), String(e.count ?? 1), ctx.name);
    return row;
  },
};

const configmaps: KindColumns = {
  headers: () => ['NAME', 'DATA', 'AGE'],
  row(o, ctx) {
    const cm = o as ConfigMap;
    return [ctx.name, String(Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length), created(o, ctx.now)];
  },
};

const secrets: KindColumns = {
  headers: () => ['NAME', 'TYPE', 'DATA', 'AGE'],
  row(o, ctx) {
    const s = o as Secret;
    return [ctx.name, s.type ?? 'Opaque', String(Object.keys(s.data ?? {}).length + Object.keys(s.stringData ?? {}).length), created(o, ctx.now)];
  },
};

const leases: KindColumns = {
  headers: () => ['NAME', 'HOLDER', 'AGE'],
  row: (o, ctx) => [ctx.name, (o as Lease).spec?.holderIdentity ?? '', created(o, ctx.now)],
};

const services: KindColumns = {
  headers: (wide) => ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', ...(wide ? ['SELECTOR'] : [])],
  row(o, ctx) {
    const svc = o as Service;
    const row = [ctx.name, svc.spec?.type ?? 'ClusterIP', serviceClusterIP(svc), serviceExternalIP(svc, ctx.wide), servicePorts(svc.spec?.ports), created(o, ctx.now)];
    if (ctx.wide) row.push(formatLabels(svc.spec?.selector));
    return row;
  },
};

const endpoints: KindColumns = {
  headers: () => ['NAME', 'ENDPOINTS', 'AGE'],
  row: (o, ctx) => [ctx.name, formatEndpoints(o as Endpoints), created(o, ctx.now)],
};

const endpointslices: KindColumns = {
  headers: () => ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE'],
  row(o, ctx) {
    const slice = o as unknown as EndpointSlice;
    return [ctx.name, slice.addressType ?? '', formatSlicePorts(slice), formatSliceEndpoints(slice), created(o, ctx.now)];
  },
};

const generic: KindColumns = {
  headers: () => ['NAME', 'AGE'],
  row: (o, ctx) => [ctx.name, created(o, ctx.now)],
};

const BY_RESOURCE: Readonly<Record<string, KindColumns>> = {
  pods, deployments, replicasets, nodes, namespaces, events, configmaps, secrets, leases, services, endpoints, endpointslices,
};

export function columnsFor(resource: string): KindColumns {
  return BY_RESOURCE[resource] ?? generic;
}

/** Default row order: namespace, then name. */
export function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  const ns = (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '');
  return ns !== 0 ? ns : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
