#!/usr/bin/env node
// Generates known-fields.ts, the field table admission prunes and type-checks against, and
// type-origins.ts, where each of its types comes from (for OpenAPI names), from
// the kubernetes-types package (TypeScript types generated from Kubernetes' OpenAPI spec), so
// the Pod/Container surface is Kubernetes' own and never typed in by hand.
//   node packages/api/src/schema/gen-schema.mjs   (then commit known-fields.ts, type-origins.ts)
// Field type grammar: "string" | "int" | "bool" | "quantity" | "time" | "intOrString" | "any"
// | "[]T" (list) | "map[T]" (string-keyed map) | a type name; a leading "!" marks a field the
// OpenAPI spec requires.
import ts from 'typescript';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const root = dirname(require.resolve('kubernetes-types/package.json'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;

const ROOTS = {
  Namespace: 'core/v1', Pod: 'core/v1', Node: 'core/v1', Event: 'core/v1', ConfigMap: 'core/v1', Secret: 'core/v1',
  Lease: 'coordination/v1', ReplicaSet: 'apps/v1', Deployment: 'apps/v1', ServiceAccount: 'core/v1', Service: 'core/v1', Endpoints: 'core/v1', EndpointSlice: 'discovery/v1',
  Job: 'batch/v1', CronJob: 'batch/v1',
  PodDisruptionBudget: 'policy/v1', PriorityClass: 'scheduling/v1',
  Role: 'rbac/v1', ClusterRole: 'rbac/v1', RoleBinding: 'rbac/v1', ClusterRoleBinding: 'rbac/v1',
  DaemonSet: 'apps/v1', ControllerRevision: 'apps/v1', ReplicationController: 'core/v1',
  StatefulSet: 'apps/v1',
  PersistentVolume: 'core/v1', PersistentVolumeClaim: 'core/v1', StorageClass: 'storage/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
};
const SCALARS = { Quantity: 'quantity', Time: 'time', MicroTime: 'time', RawExtension: 'any', FieldsV1: 'any' };

/** module path ("core/v1") → { interfaces: Map<name, decl>, imports: Map<name, module> } */
const modules = new Map();
function load(mod) {
  if (modules.has(mod)) return modules.get(mod);
  const file = join(root, `${mod}.d.ts`);
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const info = { interfaces: new Map(), imports: new Map() };
  for (const st of sf.statements) {
    if (ts.isInterfaceDeclaration(st)) info.interfaces.set(st.name.text, st);
    if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
      const target = join(dirname(mod), st.moduleSpecifier.text).replace(/\\/g, '/');
      for (const el of st.importClause.namedBindings.elements) info.imports.set(el.name.text, target);
    }
  }
  modules.set(mod, info);
  return info;
}

const types = new Map(); // name → { fields }
const owner = new Map(); // schema name → module
const named = new Map(); // "module:interface" → schema name
const queue = [];

/** Two modules may define types of one name (core/v1 and discovery/v1 EndpointPort): the later one is qualified. */
function schemaName(name, mod) {
  const key = `${mod}:${name}`;
  if (named.has(key)) return named.get(key);
  const prev = owner.get(name);
  const chosen = !prev || prev === mod ? name : `${mod.split('/').map((p) => p[0].toUpperCase() + p.slice(1)).join('')}${name}`;
  named.set(key, chosen);
  owner.set(chosen, mod);
  return chosen;
}

function refName(name, mod) {
  if (SCALARS[name]) return SCALARS[name];
  const info = load(mod);
  if (!info.interfaces.has(name)) {
    const from = info.imports.get(name);
    if (!from) throw new Error(`cannot resolve ${name} in ${mod}`);
    return refName(name, from);
  }
  const decl = info.interfaces.get(name);
  if (decl.members.length === 0) return 'any';
  const known = named.has(`${mod}:${name}`);
  const chosen = schemaName(name, mod);
  if (!known) queue.push([name, mod, chosen]);
  return chosen;
}

function typeOf(node, mod) {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword: return 'string';
    case ts.SyntaxKind.NumberKeyword: return 'int';
    case ts.SyntaxKind.BooleanKeyword: return 'bool';
    case ts.SyntaxKind.AnyKeyword: case ts.SyntaxKind.UnknownKeyword: return 'any';
  }
  // apiVersion: "v1", kind: "Pod": admission checks these against the kind registry.
  if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return 'string';
  if (ts.isArrayTypeNode(node)) return `[]${typeOf(node.elementType, mod)}`;
  if (ts.isUnionTypeNode(node)) {
    const parts = node.types.map((t) => typeOf(t, mod)).sort().join('|');
    if (parts === 'int|string') return 'intOrString';
    throw new Error(`unsupported union ${node.getText()}`);
  }
  if (ts.isTypeLiteralNode(node)) {
    const idx = node.members.find(ts.isIndexSignatureDeclaration);
    if (idx && node.members.length === 1) return `map[${typeOf(idx.type, mod)}]`;
    throw new Error(`unsupported literal ${node.getText()}`);
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === 'Array') return `[]${typeOf(node.typeArguments[0], mod)}`;
    if (name === 'Record') return `map[${typeOf(node.typeArguments[1], mod)}]`;
    return refName(name, mod);
  }
  throw new Error(`unsupported type ${node.getText()}`);
}

for (const [name, mod] of Object.entries(ROOTS)) refName(name, mod);
while (queue.length) {
  const [name, mod, chosen] = queue.shift();
  const decl = load(mod).interfaces.get(name);
  const fields = {};
  for (const m of decl.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    fields[m.name.getText()] = `${m.questionToken ? '' : '!'}${typeOf(m.type, mod)}`;
  }
  types.set(chosen, fields);
}

// Pod fields Kubernetes added after kubernetes-types' version. Admission must know them to
// refuse them by name (validation/unsupported.ts): pruned as unknown, an image volume would
// silently become an emptyDir (a volume with no source is one) and the pod would run without
// the image's files. Kubernetes 1.31: ImageVolumeSource (core/v1).
const NEWER_TYPES = { ImageVolumeSource: ['core/v1', { pullPolicy: 'string', reference: 'string' }] };
const NEWER_FIELDS = { Volume: { image: 'ImageVolumeSource' } };
for (const [name, [mod, fields]] of Object.entries(NEWER_TYPES)) {
  types.set(name, fields);
  named.set(`${mod}:${name}`, name);
}
for (const [type, added] of Object.entries(NEWER_FIELDS)) {
  const merged = { ...types.get(type), ...added };
  types.set(type, Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b))));
}

const names = [...types.keys()].sort();
let out = `// GENERATED by gen-schema.mjs from kubernetes-types ${version} (Kubernetes' OpenAPI types); do not edit.\n`;
out += '// Every field Kubernetes defines for the supported kinds: admission prunes what is not here.\n';
out += '// Type grammar: see gen-schema.mjs. A leading "!" marks a field the OpenAPI spec requires.\n\n';
out += `export const KUBERNETES_TYPES_VERSION = '${version}';\n\n`;
out += `export const ROOT_TYPES: Readonly<Record<string, string>> = ${JSON.stringify(Object.fromEntries(Object.keys(ROOTS).map((k) => [k, k])), null, 2).replace(/"([A-Za-z]+)":/g, '$1:').replace(/"/g, "'")};\n\n`;
out += 'export const KNOWN_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {\n';
for (const n of names) {
  const f = types.get(n);
  const body = Object.entries(f).map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : `'${k}'`}: '${v}'`).join(', ');
  out += `  ${n}: { ${body} },\n`;
}
out += '};\n';
writeFileSync(join(here, 'known-fields.ts'), out);
console.log(`known-fields.ts: ${names.length} types`);

// Kubernetes names its OpenAPI definitions by Go package ("io.k8s.api.core.v1.Pod"); the
// table's names drop the package, so record it, and the original name where one was qualified.
const originNames = new Map([...named].map(([key, chosen]) => [chosen, key]));
let origins = `// GENERATED by gen-schema.mjs from kubernetes-types ${version}; do not edit.\n`;
origins += '// For each type of known-fields.ts: the kubernetes-types module it comes from and its name there\n';
origins += '// ("core/v1", "Pod"), from which the OpenAPI documents derive Kubernetes\' definition names.\n\n';
origins += 'export const TYPE_ORIGINS: Readonly<Record<string, { readonly module: string; readonly name: string }>> = {\n';
for (const n of names) {
  const [module, name] = originNames.get(n).split(':');
  origins += `  ${n}: { module: '${module}', name: '${name}' },\n`;
}
origins += '};\n';
writeFileSync(join(here, 'type-origins.ts'), origins);
console.log(`type-origins.ts: ${names.length} types`);
