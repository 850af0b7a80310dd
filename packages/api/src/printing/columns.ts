// The shape of a printed table, as Kubernetes' meta.k8s.io/v1 Table defines it: column
// definitions (kubectl upper-cases the names) and one row of cells per object. A kind's
// printer gives every column, wide ones included; who prints decides which to show.
import type { KubeObject } from '../types.js';
import { age } from './age.js';

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'date';

/** meta.k8s.io/v1 TableColumnDefinition. */
export interface ColumnDefinition {
  /** As Kubernetes spells it ("Up-to-date", "Port(s)"); kubectl prints it upper-cased. */
  readonly name: string;
  readonly type: ColumnType;
  /** "name" marks the column holding the object's name (kubectl prefixes "kind/" there). */
  readonly format: '' | 'name';
  readonly description: string;
  /** 0: always shown; 1: only with -o wide. */
  readonly priority: 0 | 1;
}

/** Numbers stay numbers where Kubernetes sends integers (DESIRED, DATA, COUNT…). */
export type Cell = string | number;

/** meta.k8s.io/v1 TableRowCondition: Kubernetes marks finished pods "Completed". */
export interface RowCondition {
  readonly type: 'Completed';
  readonly status: 'True';
  readonly reason: string;
  readonly message: string;
}

export interface RowOptions {
  /** Milliseconds since the epoch: ages are relative to it. */
  readonly now: number;
  /** Some cells are shortened outside -o wide (a LoadBalancer's addresses). */
  readonly wide: boolean;
}

export interface KindPrinter {
  readonly columns: readonly ColumnDefinition[];
  /** One cell per column of `columns`, wide ones included, in order. */
  row(obj: KubeObject, opts: RowOptions): Cell[];
  conditions?(obj: KubeObject): RowCondition[];
}

// Kubernetes takes these two descriptions from ObjectMeta's API documentation.
const NAME_DOC = 'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DOC = 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export function column(name: string, type: ColumnType, description: string, priority: 0 | 1 = 0): ColumnDefinition {
  return { name, type, format: '', description, priority };
}

export const NAME_COLUMN: ColumnDefinition = { name: 'Name', type: 'string', format: 'name', description: NAME_DOC, priority: 0 };
export const AGE_COLUMN: ColumnDefinition = column('Age', 'string', AGE_DOC);

export const wide = (c: ColumnDefinition): ColumnDefinition => ({ ...c, priority: 1 });

/** The AGE cell. */
export const created = (o: KubeObject, now: number): string => age(o.metadata?.creationTimestamp, now);

/** The cells of the columns shown at a width: all of them with -o wide, else priority 0 only. */
export function visibleCells(printer: KindPrinter, cells: readonly Cell[], wideOutput: boolean): Cell[] {
  return wideOutput ? [...cells] : cells.filter((_, i) => printer.columns[i]?.priority === 0);
}
