// Turns objects of one kind into table rows with the columns `get` adds around a kind's
// own: NAMESPACE first with -A, "kind/" before names when several kinds are shown, label
// columns (-L KEY, --show-labels) last.
import { labelsOrNone, qualifiedSingular, type KindInfo, type KubeObject, type Pod } from '@tugboat/api';
import { byNamespaceAndName, columnsFor, type KindColumns } from './columns.js';

export interface TableSpec {
  info: KindInfo;
  wide: boolean;
  allNamespaces: boolean;
  showKind: boolean;
  showLabels: boolean;
  labelColumns: readonly string[];
  podsByNode?: ReadonlyMap<string, readonly Pod[]>;
}

export class TablePrinter {
  readonly columns: KindColumns;

  constructor(readonly spec: TableSpec) {
    this.columns = columnsFor(spec.info.resource);
  }

  headers(): string[] {
    const h = this.columns.headers(this.spec.wide);
    if (this.spec.allNamespaces && this.spec.info.namespaced) h.unshift('NAMESPACE');
    for (const key of this.spec.labelColumns) h.push(key.split('/').pop()!.toUpperCase());
    if (this.spec.showLabels) h.push('LABELS');
    return h;
  }

  row(obj: KubeObject, now: number): string[] {
    const rawName = obj.metadata?.name ?? '';
    const name = this.spec.showKind ? `${qualifiedSingular(this.spec.info)}/${rawName}` : rawName;
    const r = this.columns.row(obj, { now, wide: this.spec.wide, name, ...(this.spec.podsByNode ? { podsByNode: this.spec.podsByNode } : {}) });
    if (this.spec.allNamespaces && this.spec.info.namespaced) r.unshift(obj.metadata?.namespace ?? '');
    const labels = obj.metadata?.labels ?? {};
    for (const key of this.spec.labelColumns) r.push(labels[key] ?? '');
    if (this.spec.showLabels) r.push(labelsOrNone(labels));
    return r;
  }

  sort(objs: KubeObject[]): KubeObject[] {
    return [...objs].sort(this.columns.sort ?? byNamespaceAndName);
  }
}

/** Groups pods by the node they are bound to. */
export function podsByNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const m = new Map<string, Pod[]>();
  for (const p of pods) {
    const n = p.spec?.nodeName;
    if (!n) continue;
    const list = m.get(n);
    if (list) list.push(p);
    else m.set(n, [p]);
  }
  return m;
}
