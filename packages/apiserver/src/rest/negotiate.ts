// Content negotiation (pure): which of the answers we can give a client's Accept header asks
// for. kubectl lists what it prefers first and plain JSON last, e.g.
//
//   application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json
//   application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json
//
// so the first acceptable entry wins, in the client's order (q-values respected); only when
// nothing in the list is acceptable (protobuf alone, YAML alone) is the answer 406.
import { ApiError } from '@tugboat/api';

export type Representation =
  | { readonly type: 'json' }
  | { readonly type: 'table'; readonly version: 'v1' | 'v1beta1' }
  | { readonly type: 'partial-metadata'; readonly version: 'v1' | 'v1beta1' }
  | { readonly type: 'discovery'; readonly version: 'v2' | 'v2beta1' };

/** What a response may be: plain objects, or also the transformed forms. */
export type Offer = 'object' | 'discovery';

export interface MediaRange {
  readonly type: string;
  readonly subtype: string;
  readonly params: Readonly<Record<string, string>>;
  readonly q: number;
}

export function parseAccept(header: string | undefined): MediaRange[] {
  if (!header || !header.trim()) return [{ type: '*', subtype: '*', params: {}, q: 1 }];
  const out: MediaRange[] = [];
  for (const part of header.split(',')) {
    const [mt, ...ps] = part.split(';').map((s) => s.trim());
    if (!mt) continue;
    const [type = '', subtype = ''] = mt.toLowerCase().split('/');
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of ps) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (k === 'q') q = Number(v);
      else params[k] = v;
    }
    if (Number.isFinite(q) && q > 0) out.push({ type, subtype, params, q });
  }
  // Stable: equal q keeps the client's order.
  return out.map((m, i) => ({ m, i })).sort((a, b) => b.m.q - a.m.q || a.i - b.i).map((x) => x.m);
}

function isJson(m: MediaRange): boolean {
  return (m.type === 'application' && (m.subtype === 'json' || m.subtype === '*')) || (m.type === '*' && m.subtype === '*');
}

function representationOf(m: MediaRange, offer: Offer): Representation | undefined {
  if (!isJson(m)) return undefined;
  const { as, g, v } = m.params;
  if (as === undefined) return { type: 'json' };
  if (offer === 'object' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) {
    if (as === 'Table') return { type: 'table', version: v };
    if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return { type: 'partial-metadata', version: v };
  }
  if (offer === 'discovery' && as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1')) {
    return { type: 'discovery', version: v };
  }
  return undefined;
}

/** The first acceptable representation; NotAcceptable (406) when there is none. */
export function negotiate(accept: string | undefined, offer: Offer): Representation {
  for (const m of parseAccept(accept)) {
    const r = representationOf(m, offer);
    if (r) return r;
  }
  throw new ApiError('NotAcceptable', 'only the following media types are accepted: application/json');
}

/** The Content-Type of a representation, as Kubernetes labels it. */
export function contentTypeOf(r: Representation): string {
  switch (r.type) {
    case 'json':
      return 'application/json';
    case 'table':
      return `application/json;as=Table;v=${r.version};g=meta.k8s.io`;
    case 'partial-metadata':
      return `application/json;as=PartialObjectMetadataList;v=${r.version};g=meta.k8s.io`;
    case 'discovery':
      return `application/json;g=apidiscovery.k8s.io;v=${r.version};as=APIGroupDiscoveryList`;
  }
}

export type PatchType =
  | 'application/json-patch+json'
  | 'application/merge-patch+json'
  | 'application/strategic-merge-patch+json'
  | 'application/apply-patch+yaml';

const PATCH_TYPES: readonly PatchType[] = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** A PATCH body's type; 415 for anything else. */
export function patchType(contentType: string | undefined): PatchType {
  const mt = mediaType(contentType);
  const found = PATCH_TYPES.find((t) => t === mt);
  if (found) return found;
  throw new ApiError('UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`);
}

/** A POST or PUT body must be JSON (Kubernetes reads one without a Content-Type as JSON too); else 415. */
export function requireJsonBody(contentType: string | undefined): void {
  const mt = mediaType(contentType);
  if (mt === '' || mt === 'application/json' || mt === '*/*') return;
  throw new ApiError('UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json');
}
