// Nodes, Namespaces, Events and Leases, with the columns of Kubernetes' printNode,
// printNamespace, printEvent and printLease.
import type { Event, Lease, Namespace, Node } from '../types.js';
import { age } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column, created, wide, type KindPrinter } from './columns.js';
import { orNone } from './format.js';

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

function nodeAddress(node: Node, type: 'InternalIP' | 'ExternalIP'): string {
  return orNone((node.status?.addresses ?? []).find((a) => a.type === type)?.address);
}

export function internalIP(node: Node): string {
  return nodeAddress(node, 'InternalIP');
}

const orUnknown = (s: string | undefined): string => s || '<unknown>';

export const nodes: KindPrinter = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet Version reported by the node.'),
    wide(column('Internal-IP', 'string', 'List of addresses reachable to the node.')),
    wide(column('External-IP', 'string', 'List of addresses reachable to the node.')),
    wide(column('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).')),
    wide(column('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).")),
    wide(column('Container-Runtime', 'string', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).')),
  ],
  row(o, { now }) {
    const n = o as Node;
    const info = n.status?.nodeInfo;
    return [
      n.metadata?.name ?? '', nodeStatus(n), nodeRoles(n), created(o, now), orNone(info?.kubeletVersion),
      internalIP(n), nodeAddress(n, 'ExternalIP'), orUnknown(info?.osImage), orUnknown(info?.kernelVersion), orUnknown(info?.containerRuntimeVersion),
    ];
  },
};

export const namespaces: KindPrinter = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  row: (o, { now }) => [o.metadata?.name ?? '', (o as Namespace).status?.phase ?? 'Active', created(o, now)],
};

/** When an event last happened: lastTimestamp, else eventTime, else firstTimestamp, else creation. */
export function eventTime(e: Event): number {
  const t = e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp;
  return t ? Date.parse(t) || 0 : 0;
}

/** "pod/web": the involved object as kubectl's OBJECT column shows it. */
export function eventObject(e: Event): string {
  const io = e.involvedObject;
  return `${(io?.kind ?? '').toLowerCase()}/${io?.name ?? ''}`;
}

export const events: KindPrinter = {
  // Kubernetes puts NAME last and only in -o wide: events are read by time, not by name.
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column('Reason', 'string', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
    column('Object', 'string', 'The object that this event is about.'),
    wide(column('Subobject', 'string', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].')),
    wide(column('Source', 'string', 'The component reporting this event. Should be a short machine understandable string.')),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    wide(column('First Seen', 'string', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)')),
    wide(column('Count', 'string', 'The number of times this event has occurred.')),
    { ...NAME_COLUMN, priority: 1 },
  ],
  row(o, { now }) {
    const e = o as unknown as Event;
    const last = eventTime(e);
    return [
      last ? age(new Date(last).toISOString(), now) : '<unknown>', e.type ?? '', e.reason ?? '', eventObject(e),
      e.involvedObject?.fieldPath ?? '', orNone(e.source?.component ?? e.reportingComponent),
      (e.message ?? '').replace(/\s*\n\s*/g, ' '),
      age(e.firstTimestamp ?? e.metadata?.creationTimestamp, now), e.count ?? 1, e.metadata?.name ?? '',
    ];
  },
};

export const leases: KindPrinter = {
  columns: [NAME_COLUMN, column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), AGE_COLUMN],
  row: (o, { now }) => [o.metadata?.name ?? '', (o as Lease).spec?.holderIdentity ?? '', created(o, now)],
};
