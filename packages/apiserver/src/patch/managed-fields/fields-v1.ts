// Kubernetes' FieldsV1 encoding of a field set: a tree of path elements, where `{}` is a leaf
// member and `".": {}` marks a node that is itself a member and also has members below it:
//   {"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:replicas":{}}}
import { ApiError } from '@tugboat/api';
import { isObject, type JsonObject } from '../json.js';
import { FieldSet } from './field-set.js';
import { comparePathElements, type Path } from './path.js';

interface TreeNode { member: boolean; children: Map<string, TreeNode> }

export function encodeFieldsV1(set: FieldSet): JsonObject {
  const root: TreeNode = { member: false, children: new Map() };
  for (const path of set.paths()) {
    let node = root;
    for (const pe of path) {
      let next = node.children.get(pe);
      if (!next) {
        next = { member: false, children: new Map() };
        node.children.set(pe, next);
      }
      node = next;
    }
    node.member = true;
  }
  return emit(root, false);
}

function emit(node: TreeNode, includeSelf: boolean): JsonObject {
  const out: JsonObject = {};
  if (includeSelf && node.member && node.children.size > 0) out['.'] = {};
  for (const pe of [...node.children.keys()].sort(comparePathElements)) {
    out[pe] = emit(node.children.get(pe)!, true);
  }
  return out;
}

export function decodeFieldsV1(fields: unknown): FieldSet {
  const set = new FieldSet();
  if (!isObject(fields)) throw new ApiError('BadRequest', 'metadata.managedFields: fieldsV1 must be an object');
  walk(fields, [], set);
  return set;
}

function walk(node: JsonObject, path: Path, set: FieldSet): void {
  for (const [pe, child] of Object.entries(node)) {
    if (pe === '.') {
      set.insert(path);
      continue;
    }
    if (!/^[fkvi]:/.test(pe) || !isObject(child)) throw new ApiError('BadRequest', `metadata.managedFields: invalid path element ${JSON.stringify(pe)}`);
    const p = [...path, pe];
    if (Object.keys(child).length === 0) set.insert(p);
    else walk(child, p, set);
  }
}
