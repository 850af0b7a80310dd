// Server-side printing: what the API server answers to
// `Accept: application/json;as=Table;g=meta.k8s.io;v=v1`, so that kubectl prints our columns.
// The columns and cells come from @tugboat/api's printers, the ones tctl prints too. Like
// Kubernetes' API server, every column is sent (the -o wide ones with priority 1) and
// kubectl hides what the user did not ask for.
import { printerFor, type Cell, type KubeObject, type RowCondition } from '@tugboat/api';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  now: Date;
  includeObject: IncludeObject;
  /** Leave out the column definitions (watch events after the first, as Kubernetes does). */
  noHeaders?: boolean;
  listMeta?: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
}

interface TableRow {
  cells: Cell[];
  conditions?: RowCondition[];
  object?: Record<string, unknown>;
}

/** The row's object per ?includeObject=: none, its metadata alone, or all of it. */
function rowObject(obj: KubeObject, include: IncludeObject): Record<string, unknown> | undefined {
  switch (include) {
    case 'None': return undefined;
    case 'Metadata': return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata ?? {} };
    case 'Object': return obj;
  }
}

function listMetadata(objects: readonly KubeObject[], listMeta: TableOptions['listMeta']): Record<string, unknown> {
  // A table of one object (a GET) carries that object's resourceVersion, as Kubernetes' does.
  const rv = listMeta?.resourceVersion ?? (objects.length === 1 && !listMeta ? objects[0]?.metadata?.resourceVersion : undefined);
  const meta: Record<string, unknown> = {};
  if (rv) meta['resourceVersion'] = rv;
  if (listMeta?.continue) meta['continue'] = listMeta.continue;
  if (listMeta?.remainingItemCount !== undefined) meta['remainingItemCount'] = listMeta.remainingItemCount;
  return meta;
}

/** A meta.k8s.io/v1 Table of these objects with Kubernetes' columns for the kind. */
export function toTable(kind: string, objects: readonly KubeObject[], opts: TableOptions): Record<string, unknown> {
  const printer = printerFor(kind);
  const now = opts.now.getTime();
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.row(obj, { now, wide: true }) };
    const conditions = printer.conditions?.(obj) ?? [];
    if (conditions.length) row.conditions = conditions;
    const object = rowObject(obj, opts.includeObject);
    if (object) row.object = object;
    return row;
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMetadata(objects, opts.listMeta),
    columnDefinitions: opts.noHeaders ? [] : printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
