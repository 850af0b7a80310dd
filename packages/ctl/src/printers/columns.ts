// The table columns `tctl get` prints for each kind. The columns and cells are the API
// server's (printerFor in @tugboat/api, Kubernetes' own); this file only picks which of
// them tctl shows and turns cells into text. NAMESPACE (with -A) and label columns are
// added around them by the caller.
import {
  eventTime, kindInfo, printerFor, resourceInfo, visibleCells,
  type ColumnDefinition, type Event, type KindPrinter, type KubeObject, type Node, type Pod,
} from '@tugboat/api';
import { formatCpu, formatMemory, isActivePod, parseBytes, parseCpuMilli, podAmounts } from './resources.js';

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

/**
 * Wide columns of the server's tables that tctl leaves out: its -o wide output predates
 * them, and scripts read it. Nodes' are replaced by what tctl shows instead (below).
 */
const HIDDEN: Readonly<Record<string, readonly string[]>> = {
  Pod: ['Nominated Node', 'Readiness Gates'],
  Event: ['Subobject'],
  Node: ['External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime'],
};

/** `get nodes -o wide` shows what is requested of each node, which needs its pods too. */
const NODE_USAGE_HEADERS = ['CPU(REQ/ALLOC)', 'MEMORY(REQ/ALLOC)', 'PODS'];

function nodeUsage(n: Node, podsByNode: RowContext['podsByNode']): string[] {
  const onNode = (podsByNode?.get(n.metadata?.name ?? '') ?? []).filter(isActivePod);
  let cpu = 0;
  let mem = 0;
  for (const p of onNode) {
    const r = podAmounts(p, 'requests');
    cpu += r.cpuMilli;
    mem += r.memory;
  }
  const alloc = n.status?.allocatable ?? {};
  return [
    `${formatCpu(cpu)}/${formatCpu(parseCpuMilli(alloc['cpu']))}`,
    `${formatMemory(mem)}/${formatMemory(parseBytes(alloc['memory']))}`,
    `${onNode.length}/${alloc['pods'] ?? '?'}`,
  ];
}

function kindColumns(kind: string): KindColumns {
  const printer: KindPrinter = printerFor(kind);
  const hidden = new Set(HIDDEN[kind] ?? []);
  const shown = (wide: boolean): ColumnDefinition[] => printer.columns.filter((c) => (wide || c.priority === 0) && !hidden.has(c.name));
  const isNode = kind === 'Node';
  return {
    headers: (wide) => [...shown(wide).map((c) => c.name.toUpperCase()), ...(isNode && wide ? NODE_USAGE_HEADERS : [])],
    row(obj, ctx) {
      const visible = printer.columns.filter((c) => ctx.wide || c.priority === 0);
      const cells = visibleCells(printer, printer.row(obj, { now: ctx.now, wide: ctx.wide }), ctx.wide);
      const text = cells.flatMap((cell, i) => {
        const col = visible[i];
        if (!col || hidden.has(col.name)) return [];
        if (col.format !== 'name') return [String(cell)];
        // What the printer adds after the name stays (a StorageClass's " (default)").
        const raw = obj.metadata?.name ?? '';
        const s = String(cell);
        return [ctx.name + (s.startsWith(raw) ? s.slice(raw.length) : '')];
      });
      if (isNode && ctx.wide) text.push(...nodeUsage(obj as Node, ctx.podsByNode));
      return text;
    },
    ...(kind === 'Event' ? { sort: (a: KubeObject, b: KubeObject) => eventTime(a as unknown as Event) - eventTime(b as unknown as Event) } : {}),
    ...(isNode ? { needsPods: true } : {}),
  };
}

export function columnsFor(resource: string): KindColumns {
  return kindColumns(resourceInfo(resource)?.kind ?? kindInfo(resource)?.kind ?? '');
}

/** Default row order: namespace, then name. */
export function byNamespaceAndName(a: KubeObject, b: KubeObject): number {
  const ns = (a.metadata?.namespace ?? '').localeCompare(b.metadata?.namespace ?? '');
  return ns !== 0 ? ns : (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
}
