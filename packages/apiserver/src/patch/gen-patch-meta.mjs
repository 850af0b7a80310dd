#!/usr/bin/env node
// Generates patch-meta-table.ts: for every type in @tugboat/api's known-fields.ts, the patch
// strategy, merge key and list type Kubernetes declares on each field (the struct tags
// `patchStrategy:"…" patchMergeKey:"…"` and the `+listType` / `+listMapKey` / `+mapType` /
// `+structType` markers in its Go types), read from Kubernetes' own source at the release
// known-fields.ts was generated from, so no merge key is typed in by hand.
//   node packages/apiserver/src/patch/gen-patch-meta.mjs <kubernetes/api git dir> <kubernetes/apimachinery git dir>
// (git directories of the staging repositories; read with `git show <tag>:<file>`), then commit
// patch-meta-table.ts.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [apiGit, machineryGit] = process.argv.slice(2);
if (!apiGit || !machineryGit) {
  console.error('usage: gen-patch-meta.mjs <kubernetes/api git dir> <kubernetes/apimachinery git dir>');
  process.exit(2);
}

const knownFieldsFile = join(here, '../../../api/src/schema/known-fields.ts');
const knownText = readFileSync(knownFieldsFile, 'utf8');
const k8sVersion = /KUBERNETES_TYPES_VERSION = '(\d+)\.(\d+)\.\d+'/.exec(knownText);
if (!k8sVersion) throw new Error('no KUBERNETES_TYPES_VERSION in known-fields.ts');
const tag = `v0.${k8sVersion[2]}.0`; // the staging repositories tag release 1.N as v0.N.0

// Type name → field names, as known-fields.ts has them (its own grammar; parsed by shape only).
const known = new Map();
for (const m of knownText.matchAll(/^ {2}([A-Za-z0-9]+): \{(.*)\},?$/gm)) {
  const fields = [...m[2].matchAll(/(\w+): '/g)].map((f) => f[1]);
  known.set(m[1], new Set(fields));
}

const SOURCES = [
  { git: apiGit, file: 'core/v1/types.go', module: 'core/v1' },
  { git: apiGit, file: 'apps/v1/types.go', module: 'apps/v1' },
  { git: apiGit, file: 'autoscaling/v2/types.go', module: 'autoscaling/v2' },
  { git: apiGit, file: 'batch/v1/types.go', module: 'batch/v1' },
  { git: apiGit, file: 'storage/v1/types.go', module: 'storage/v1' },
  { git: apiGit, file: 'coordination/v1/types.go', module: 'coordination/v1' },
  { git: apiGit, file: 'discovery/v1/types.go', module: 'discovery/v1' },
  { git: apiGit, file: 'policy/v1/types.go', module: 'policy/v1' },
  { git: apiGit, file: 'rbac/v1/types.go', module: 'rbac/v1' },
  { git: apiGit, file: 'scheduling/v1/types.go', module: 'scheduling/v1' },
  { git: machineryGit, file: 'pkg/apis/meta/v1/types.go', module: 'meta/v1' },
];

/** module → Map<Go type name, { atomic: boolean, fields: [{ json, goType, inline, tags, markers }] }> */
const structs = new Map();
for (const src of SOURCES) {
  const text = execFileSync('git', ['--git-dir', src.git, 'show', `${tag}:${src.file}`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  structs.set(src.module, parseGo(text));
}

function parseGo(text) {
  const out = new Map();
  const lines = text.split('\n');
  let comments = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const start = /^type (\w+) struct \{/.exec(line);
    if (!start) {
      if (/^\s*\/\//.test(line)) comments.push(line.trim());
      else comments = [];
      continue;
    }
    const typeMarkers = markersOf(comments);
    comments = [];
    const fields = [];
    let fieldComments = [];
    for (i++; i < lines.length && !/^\}/.test(lines[i]); i++) {
      const l = lines[i].trim();
      if (l.startsWith('//')) { fieldComments.push(l); continue; }
      const tick = l.indexOf('`');
      const words = tick > 0 ? l.slice(0, tick).trim().split(/\s+/) : [];
      // `Name Type \`tags\`` or, for an embedded struct, `Type \`tags\``.
      if (words.length === 1 || words.length === 2) {
        const tagText = l.slice(tick + 1, l.lastIndexOf('`'));
        const goType = words[words.length - 1];
        const tags = Object.fromEntries([...tagText.matchAll(/(\w+):"([^"]*)"/g)].map((t) => [t[1], t[2]]));
        const json = (tags.json ?? '').split(',')[0];
        const inline = (tags.json ?? '').split(',').includes('inline');
        fields.push({ json, goType, inline, tags, markers: markersOf(fieldComments) });
      }
      fieldComments = [];
    }
    out.set(start[1], { atomic: typeMarkers.structType === 'atomic', fields });
  }
  return out;
}

function markersOf(comments) {
  const m = {};
  for (const c of comments) {
    const k = /^\/\/\s*\+(listType|listMapKey|mapType|structType)=(\S+)/.exec(c);
    if (!k) continue;
    if (k[1] === 'listMapKey') (m.listMapKeys ??= []).push(k[2]);
    else m[k[1]] = k[2];
  }
  return m;
}

/** The module a package alias in a Go type names (`metav1.ObjectMeta`, apps' `v1.PodTemplateSpec`). */
function moduleOfAlias(alias, from) {
  if (alias === 'metav1') return 'meta/v1';
  if (alias === 'v1' || alias === 'corev1') return from === 'core/v1' ? from : 'core/v1';
  return from;
}

/** The fields of a Go struct with inline (embedded) structs flattened, as JSON sees them. */
function jsonFields(module, name, seen = new Set()) {
  const s = structs.get(module)?.get(name);
  if (!s || seen.has(name)) return [];
  seen.add(name);
  const out = [];
  for (const f of s.fields) {
    if (f.inline) {
      const ref = f.goType.replace(/^\*/, '').split('.');
      const mod = ref.length === 2 ? moduleOfAlias(ref[0], module) : module;
      out.push(...jsonFields(mod, ref[ref.length - 1], seen));
    } else if (f.json && f.json !== '-') {
      out.push(f);
    }
  }
  return out;
}

/** Which Go struct a known-fields type is: its name (qualified ones name their module), matched by its fields. */
function goStructFor(typeName, fieldNames) {
  const q = /^(Core|Apps|Batch|Coordination|Discovery|Policy|Rbac|Scheduling|Storage|Meta)V1(\w+)$/.exec(typeName);
  const candidates = [];
  for (const [module, types] of structs) {
    if (q) {
      if (module === `${q[1].toLowerCase()}/v1` && types.has(q[2])) candidates.push({ module, name: q[2] });
    } else if (types.has(typeName)) candidates.push({ module, name: typeName });
  }
  let best;
  let bestScore = -1;
  for (const c of candidates) {
    const names = new Set(jsonFields(c.module, c.name).map((f) => f.json));
    const score = [...fieldNames].filter((n) => names.has(n)).length - [...names].filter((n) => !fieldNames.has(n)).length;
    if (score > bestScore) { best = c; bestScore = score; }
  }
  return best;
}

const table = {};
const atomicTypes = [];
const missing = [];
for (const [typeName, fieldNames] of [...known].sort(([a], [b]) => a.localeCompare(b))) {
  const go = goStructFor(typeName, fieldNames);
  if (!go) { missing.push(typeName); continue; }
  if (structs.get(go.module).get(go.name).atomic) atomicTypes.push(typeName);
  const entries = {};
  for (const f of jsonFields(go.module, go.name)) {
    if (!fieldNames.has(f.json)) continue;
    const meta = {};
    if (f.tags.patchStrategy) meta.strategy = f.tags.patchStrategy;
    if (f.tags.patchMergeKey) meta.mergeKey = f.tags.patchMergeKey;
    if (f.markers.listType) meta.listType = f.markers.listType;
    if (f.markers.listMapKeys) meta.listMapKeys = f.markers.listMapKeys;
    if (f.markers.mapType === 'atomic') meta.mapType = 'atomic';
    // What the field is in the Go zero value Kubernetes compares against when it computes
    // managed fields: a struct value is an empty object, a list/map/pointer without omitempty
    // is null, anything else is absent.
    const omitempty = (f.tags.json ?? '').split(',').includes('omitempty');
    const ref = f.goType.split('.');
    const goModule = ref.length === 2 ? moduleOfAlias(ref[0], go.module) : go.module;
    if (/^[A-Za-z]/.test(f.goType) && structs.get(goModule)?.has(ref[ref.length - 1])) meta.zero = 'object';
    else if (!omitempty && /^(\*|\[\]|map\[)/.test(f.goType)) meta.zero = 'null';
    if (Object.keys(meta).length) entries[f.json] = meta;
  }
  if (Object.keys(entries).length) table[typeName] = entries;
}
if (missing.length) console.error(`no Go struct found for: ${missing.join(', ')}`);

const fmt = (v) => `{ ${Object.entries(v).map(([k, x]) => `${k}: ${Array.isArray(x) ? `[${x.map((e) => `'${e}'`).join(', ')}]` : `'${x}'`}`).join(', ')} }`;
const body = Object.entries(table)
  .map(([t, fields]) => `  ${t}: {\n${Object.entries(fields).map(([f, m]) => `    ${f}: ${fmt(m)},`).join('\n')}\n  },`)
  .join('\n');
writeFileSync(join(here, 'patch-meta-table.ts'), `// GENERATED by gen-patch-meta.mjs from Kubernetes' Go types (k8s.io/api and k8s.io/apimachinery ${tag},
// the release of known-fields.ts): struct tags patchStrategy/patchMergeKey and the +listType,
// +listMapKey, +mapType and +structType markers. Do not edit.

export interface GeneratedFieldMeta {
  readonly strategy?: 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';
  readonly mergeKey?: string;
  readonly listType?: 'atomic' | 'set' | 'map';
  readonly listMapKeys?: readonly string[];
  /** +mapType=atomic on the field: the map is replaced whole by server-side apply. */
  readonly mapType?: 'atomic';
  /** The field in the Go zero value of its struct: an empty object, or null (else absent). */
  readonly zero?: 'object' | 'null';
}

export const PATCH_META_SOURCE = 'k8s.io/api ${tag}';

export const FIELD_PATCH_META: Readonly<Record<string, Readonly<Record<string, GeneratedFieldMeta>>>> = {
${body}
};

/** Types marked +structType=atomic: server-side apply owns and replaces them whole. */
export const ATOMIC_TYPES: ReadonlySet<string> = new Set([${atomicTypes.map((t) => `'${t}'`).join(', ')}]);
`);
console.log(`wrote patch-meta-table.ts: ${Object.keys(table).length} types, ${atomicTypes.length} atomic`);
