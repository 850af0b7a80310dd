// `-o` formats shared by get, apply and the rest: table (default), wide, yaml, json, name,
// jsonpath=TEMPLATE. Several objects in yaml/json form a `List`, as kubectl prints them.
import { stringify } from 'yaml';
import { kindInfo, qualifiedSingular, type KubeObject } from '@tugboat/api';
import { UsageError } from '../errors.js';
import { compileJsonPath } from './jsonpath.js';

export type OutputFormat =
  | { kind: 'table'; wide: boolean }
  | { kind: 'yaml' }
  | { kind: 'json' }
  | { kind: 'name' }
  | { kind: 'jsonpath'; render: (data: unknown) => string };

export function parseOutput(flag: string | undefined, allowed: readonly string[] = ['wide', 'yaml', 'json', 'name', 'jsonpath']): OutputFormat {
  if (flag === undefined || flag === '') return { kind: 'table', wide: false };
  const eq = flag.indexOf('=');
  const name = eq < 0 ? flag : flag.slice(0, eq);
  if (!allowed.includes(name)) throw new UsageError(`unable to match a printer suitable for the output format "${flag}", allowed formats are: ${allowed.join(',')}`);
  switch (name) {
    case 'wide': return { kind: 'table', wide: true };
    case 'yaml': return { kind: 'yaml' };
    case 'json': return { kind: 'json' };
    case 'name': return { kind: 'name' };
    case 'jsonpath': {
      if (eq < 0) throw new UsageError('jsonpath template format specified but no template given');
      return { kind: 'jsonpath', render: compileJsonPath(flag.slice(eq + 1)) };
    }
    default: throw new UsageError(`unknown output format "${flag}"`);
  }
}

/** kubectl's yaml: keys sorted, block style, long strings left on one line. */
export function toYaml(value: unknown): string {
  return stringify(value, { version: '1.1', sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false, indentSeq: false });
}

/** kubectl's json: 4-space indent, fields in the server's order. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

export function asList(items: readonly KubeObject[], resourceVersion = ''): KubeObject {
  return { apiVersion: 'v1', kind: 'List', items: [...items], metadata: { resourceVersion } };
}

/** "pod/web", "deployment.apps/api": the form `-o name` prints and scripts pass back. */
export function objectName(obj: KubeObject): string {
  const info = obj.kind ? kindInfo(obj.kind) : undefined;
  const prefix = info ? qualifiedSingular(info) : (obj.kind ?? 'unknown').toLowerCase();
  return `${prefix}/${obj.metadata?.name ?? ''}`;
}

/** Objects in a non-table format; one object is printed as itself, several as a List. */
export function formatObjects(objs: readonly KubeObject[], format: Exclude<OutputFormat, { kind: 'table' }>, forceList = false): string {
  const single = objs.length === 1 && !forceList;
  const value = single ? objs[0] : asList(objs);
  switch (format.kind) {
    case 'yaml': return toYaml(value);
    case 'json': return toJson(value);
    case 'name': return objs.map((o) => `${objectName(o)}\n`).join('');
    case 'jsonpath': return format.render(value);
  }
}
