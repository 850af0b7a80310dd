// components.schemas from @tugboat/api's known-field table (Kubernetes' own types, generated
// from kubernetes-types), named as Kubernetes names them ("io.k8s.api.core.v1.Pod") and
// carrying the patch metadata (patch/patch-meta.ts) that kubectl's strategic merge patch
// and server-side apply clients read.
import { KNOWN_FIELDS, ROOT_TYPES, TYPE_ORIGINS, type KindInfo } from '@tugboat/api';
import { fieldPatchMeta, isAtomicMapField, isAtomicStruct } from '../patch/patch-meta.js';
import { INT_OR_STRING, LIST_META, META, QUANTITY, TIME } from './meta-schemas.js';
import { ref, type GroupVersionKind, type Schema } from './types.js';

/** The Go package Kubernetes names each kubernetes-types module's definitions after. */
const MODULE_PACKAGES: Readonly<Record<string, string>> = {
  'core/v1': 'io.k8s.api.core.v1',
  'apps/v1': 'io.k8s.api.apps.v1',
  'batch/v1': 'io.k8s.api.batch.v1',
  'coordination/v1': 'io.k8s.api.coordination.v1',
  'discovery/v1': 'io.k8s.api.discovery.v1',
  'policy/v1': 'io.k8s.api.policy.v1',
  'scheduling/v1': 'io.k8s.api.scheduling.v1',
  'rbac/v1': 'io.k8s.api.rbac.v1',
  'storage/v1': 'io.k8s.api.storage.v1',
  'autoscaling/v2': 'io.k8s.api.autoscaling.v2',
  'meta/v1': META,
};

/** "Pod" → "io.k8s.api.core.v1.Pod"; "CoreV1EndpointPort" → "io.k8s.api.core.v1.EndpointPort". */
export function definitionName(typeName: string): string {
  const origin = TYPE_ORIGINS[typeName];
  const pkg = origin && MODULE_PACKAGES[origin.module];
  // Both tables are generated together; a miss means gen-schema.mjs learnt a new module.
  if (!origin || !pkg) throw new Error(`OpenAPI: no Kubernetes package known for type ${typeName}`);
  return `${pkg}.${origin.name}`;
}

export function gvkOf(info: KindInfo, kind = info.kind): GroupVersionKind {
  const version = info.apiVersion.slice(info.apiVersion.indexOf('/') + 1);
  return { group: info.group, kind, version };
}

/** A field's schema from its type in the table's grammar; named types it uses go in `uses`. */
function fieldSchema(spec: string, uses: Set<string>): Schema {
  if (spec.startsWith('[]')) return { type: 'array', items: fieldSchema(spec.slice(2), uses) };
  if (spec.startsWith('map[') && spec.endsWith(']')) return { type: 'object', additionalProperties: fieldSchema(spec.slice(4, -1), uses) };
  switch (spec) {
    case 'string': return { type: 'string' };
    case 'int': return { type: 'integer' };
    case 'bool': return { type: 'boolean' };
    case 'quantity': return ref(QUANTITY);
    case 'time': return ref(TIME);
    case 'intOrString': return ref(INT_OR_STRING);
    // RawExtension, FieldsV1: any JSON object.
    case 'any': return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    default:
      uses.add(spec);
      return ref(definitionName(spec));
  }
}

function patchExtensions(typeName: string, field: string): Schema {
  const meta = fieldPatchMeta(typeName, field);
  const ext: Schema = {};
  if (meta?.strategy) ext['x-kubernetes-patch-strategy'] = meta.strategy;
  if (meta?.mergeKey) ext['x-kubernetes-patch-merge-key'] = meta.mergeKey;
  if (meta?.listType) ext['x-kubernetes-list-type'] = meta.listType;
  if (meta?.listMapKeys) ext['x-kubernetes-list-map-keys'] = [...meta.listMapKeys];
  if (isAtomicMapField(typeName, field)) ext['x-kubernetes-map-type'] = 'atomic';
  return ext;
}

export interface TypeSchema {
  readonly schema: Schema;
  /** Table type names this one refers to. */
  readonly uses: ReadonlySet<string>;
}

/** One table type as an object schema. */
export function typeSchema(typeName: string): TypeSchema {
  const uses = new Set<string>();
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [field, spec] of Object.entries(KNOWN_FIELDS[typeName] ?? {})) {
    const isRequired = spec.startsWith('!');
    if (isRequired) required.push(field);
    const s = fieldSchema(isRequired ? spec.slice(1) : spec, uses);
    const ext = patchExtensions(typeName, field);
    // OpenAPI 3.0 ignores a $ref's siblings, so Kubernetes wraps the reference in allOf
    // where a field adds something; kubectl reads the extensions next to the allOf.
    properties[field] = Object.keys(ext).length === 0 ? s : s.$ref ? { allOf: [s], ...ext } : { ...s, ...ext };
  }
  const schema: Schema = { type: 'object', properties };
  if (required.length) schema.required = required;
  if (isAtomicStruct(typeName)) schema['x-kubernetes-map-type'] = 'atomic';
  return { schema, uses };
}

/** A kind's schema with its GVK (an array, as Kubernetes has it), and its List's. */
export function kindSchemas(info: KindInfo): Record<string, Schema> {
  const typeName = ROOT_TYPES[info.kind];
  if (!typeName) throw new Error(`OpenAPI: kind ${info.kind} has no schema in known-fields.ts`);
  const name = definitionName(typeName);
  return {
    [name]: { ...typeSchema(typeName).schema, 'x-kubernetes-group-version-kind': [gvkOf(info)] },
    [`${name}List`]: {
      type: 'object',
      properties: {
        apiVersion: { type: 'string' },
        items: { type: 'array', items: ref(name) },
        kind: { type: 'string' },
        metadata: { allOf: [ref(LIST_META)], default: {} },
      },
      required: ['items'],
      'x-kubernetes-group-version-kind': [gvkOf(info, `${info.kind}List`)],
    },
  };
}

/** Every table type reachable from these kinds, each as its definition. */
export function reachableSchemas(kinds: readonly KindInfo[]): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const queue = kinds.map((k) => ROOT_TYPES[k.kind]).filter((t): t is string => t !== undefined);
  const seen = new Set(queue);
  while (queue.length) {
    const t = queue.shift()!;
    const { schema, uses } = typeSchema(t);
    out[definitionName(t)] = schema;
    for (const u of uses) {
      if (!seen.has(u)) {
        seen.add(u);
        queue.push(u);
      }
    }
  }
  return out;
}
