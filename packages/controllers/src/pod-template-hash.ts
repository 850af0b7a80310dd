// The pod-template-hash: names a Deployment's ReplicaSet after its pod template, so one
// template always maps to one ReplicaSet ("web-7d9f8b6c5"), across controller restarts and
// whatever the key order of the stored JSON. As Kubernetes: FNV-1a (32 bit) over the
// template, then the collision count, then the decimal digits mapped into a safe alphabet.
import type { PodTemplateSpec } from '@tugboat/api';
import { canonicalJson } from './canonical.js';
import { safeEncode } from './pod-util.js';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv32a(bytes: Uint8Array, seed = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined && collisionCount !== null) {
    // A collision bumps status.collisionCount; hashing it in gives the next name.
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}
