// The Auth service: questions answered and never stored, in Kubernetes' shapes.
//   Review: SelfSubjectAccessReview ("may I?" — tctl auth can-i), SubjectAccessReview ("may
//           they?", for admins), SelfSubjectReview ("who am I?" — tctl auth whoami).
//   CreateToken: TokenRequest, a ServiceAccount token (tctl create token; the agent's
//           projected tokens, bound to the pod they are for).
import {
  ApiError, nodeNameOf, type FieldError, type KubeObject, type UserInfo,
} from '@tugboat/api';
import type { RequestAttributes } from '../auth/authorizer.js';
import type { ServiceAccountTokens } from '../auth/authn/service-account-tokens.js';
import type { Security } from '../auth/security.js';
import { parseObjectJson, type Registry } from '../registry/registry.js';
import { isPlainObject } from '../registry/object-meta.js';
import { unary, type Describe, type HandlerDeps } from './handlers.js';
import type { ServiceHandlers } from './wire-server.js';
import type { CreateTokenRequest, ReviewRequest, ReviewResponse } from './proto-types.js';
import { namedRequest, reviewRequest } from './request-attributes.js';

/** Kubernetes' bounds on a requested token's lifetime. */
export const MIN_TOKEN_SECONDS = 600;
export const DEFAULT_TOKEN_SECONDS = 3600;
export const MAX_TOKEN_SECONDS = 48 * 3600;

interface ResourceAttributes { namespace?: string; verb?: string; group?: string; version?: string; resource?: string; subresource?: string; name?: string }
interface NonResourceAttributes { path?: string; verb?: string }
interface AccessReviewSpec {
  resourceAttributes?: ResourceAttributes;
  nonResourceAttributes?: NonResourceAttributes;
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The attributes a review asks about, or the field errors Kubernetes would give. */
export function reviewAttributes(kind: string, spec: AccessReviewSpec, user: UserInfo): RequestAttributes {
  const ra = isPlainObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const na = isPlainObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if (!!ra === !!na) {
    const err: FieldError = { path: 'spec.resourceAttributes', type: 'Invalid', value: spec.resourceAttributes ?? null, detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified' };
    throw ApiError.invalid(kind, '', [err]);
  }
  if (ra) {
    return {
      user, verb: str(ra.verb), resourceRequest: true, apiGroup: str(ra.group), resource: str(ra.resource), subresource: str(ra.subresource),
      namespace: str(ra.namespace), name: str(ra.name), path: '',
    };
  }
  return { user, verb: str(na!.verb), resourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path: str(na!.path) };
}

function userInfoJson(u: UserInfo): Record<string, unknown> {
  return { username: u.username, ...(u.uid ? { uid: u.uid } : {}), groups: [...u.groups], ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}) };
}

async function answerReview(obj: KubeObject, requester: UserInfo, security: Security): Promise<KubeObject> {
  const spec = (isPlainObject(obj['spec']) ? obj['spec'] : {}) as AccessReviewSpec;
  const base = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { creationTimestamp: null } };
  switch (obj.kind) {
    case 'SelfSubjectReview':
      return { ...base, status: { userInfo: userInfoJson(requester) } } as unknown as KubeObject;
    case 'SelfSubjectAccessReview':
    case 'SubjectAccessReview': {
      let subject = requester;
      if (obj.kind === 'SubjectAccessReview') {
        if (!spec.user && !(spec.groups ?? []).length) throw ApiError.invalid('SubjectAccessReview', '', [{ path: 'spec.user', type: 'Invalid', value: '', detail: 'at least one of user or group must be specified' }]);
        subject = {
          username: spec.user ?? '',
          groups: (spec.groups ?? []).filter((g) => typeof g === 'string'),
          ...(spec.uid ? { uid: spec.uid } : {}),
          ...(spec.extra ? { extra: spec.extra } : {}),
        };
      }
      const attrs = reviewAttributes(obj.kind, spec, subject);
      const d = await security.authorize(attrs);
      const status = {
        allowed: d.decision === 'allow',
        ...(d.decision === 'deny' ? { denied: true } : {}),
        ...(d.reason ? { reason: d.reason } : {}),
      };
      return { ...base, spec, status } as unknown as KubeObject;
    }
    default:
      throw new ApiError('BadRequest', `${obj.kind ?? 'object'} is not a review`);
  }
}

interface TokenRequestSpec { audiences?: unknown; expirationSeconds?: unknown; boundObjectRef?: unknown }

/** The validated parts of a TokenRequest (Kubernetes' rules and messages). */
export function parseTokenRequest(obj: KubeObject, defaultAudiences: readonly string[]): { audiences: string[]; expirationSeconds: number; boundPod?: { name: string; uid: string } } {
  const spec = (isPlainObject(obj['spec']) ? obj['spec'] : {}) as TokenRequestSpec;
  const errs: FieldError[] = [];
  let audiences = [...defaultAudiences];
  if (spec.audiences !== undefined) {
    if (!Array.isArray(spec.audiences) || spec.audiences.some((a) => typeof a !== 'string' || !a)) errs.push({ path: 'spec.audiences', type: 'Invalid', value: spec.audiences, detail: 'must be a list of non-empty strings' });
    else if (spec.audiences.length) audiences = spec.audiences as string[];
  }
  let expirationSeconds = DEFAULT_TOKEN_SECONDS;
  if (spec.expirationSeconds !== undefined && spec.expirationSeconds !== null) {
    const n = Number(spec.expirationSeconds);
    if (!Number.isInteger(n)) errs.push({ path: 'spec.expirationSeconds', type: 'Invalid', value: spec.expirationSeconds, detail: 'must be an integer' });
    else if (n < MIN_TOKEN_SECONDS) errs.push({ path: 'spec.expirationSeconds', type: 'Invalid', value: n, detail: 'may not specify a duration less than 10 minutes' });
    else if (n > MAX_TOKEN_SECONDS) errs.push({ path: 'spec.expirationSeconds', type: 'Invalid', value: n, detail: `may not specify a duration more than ${MAX_TOKEN_SECONDS / 3600} hours` });
    else expirationSeconds = n;
  }
  let boundPod: { name: string; uid: string } | undefined;
  if (spec.boundObjectRef !== undefined && spec.boundObjectRef !== null) {
    const ref = isPlainObject(spec.boundObjectRef) ? spec.boundObjectRef : {};
    if (ref['kind'] !== 'Pod') errs.push({ path: 'spec.boundObjectRef.kind', type: 'NotSupported', value: ref['kind'], detail: 'supported values: "Pod"' });
    else if (!str(ref['name'])) errs.push({ path: 'spec.boundObjectRef.name', type: 'Required' });
    else boundPod = { name: str(ref['name']), uid: str(ref['uid']) };
  }
  if (errs.length) throw ApiError.invalid('TokenRequest', str(obj.metadata?.name), errs);
  return { audiences, expirationSeconds, ...(boundPod ? { boundPod } : {}) };
}

const reviewDescribe: Describe<ReviewRequest, KubeObject> = (req) => {
  const obj = parseObjectJson(req.object);
  return { attrs: reviewRequest(obj), parsed: obj };
};

const tokenDescribe: Describe<CreateTokenRequest, KubeObject> = (req) => ({
  attrs: namedRequest('create', 'serviceaccounts', req.namespace, req.name, 'token'),
  parsed: req.object ? parseObjectJson(req.object) : { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' },
});

export function authService(registry: Registry, tokens: ServiceAccountTokens | undefined, deps: HandlerDeps): ServiceHandlers {
  return {
    Review: unary<ReviewRequest, ReviewResponse, KubeObject>(deps, '/tugboat.v1.Auth/Review', 'review', reviewDescribe, async (_req, ctx) => {
      const answer = await answerReview(ctx.parsed, ctx.user, deps.security);
      return { object: JSON.stringify(answer) };
    }),
    CreateToken: unary<CreateTokenRequest, ReviewResponse, KubeObject>(deps, '/tugboat.v1.Auth/CreateToken', 'create_token', tokenDescribe, async (_req, ctx) => {
      if (!tokens?.canIssue) throw new ApiError('Unavailable', 'this API server has no --service-account-signing-key-file: it cannot issue tokens');
      const { namespace, name } = ctx.attrs;
      const parsed = parseTokenRequest(ctx.parsed, tokens.audiences);
      const serviceAccount = await registry.get('serviceaccounts', namespace, name);
      let boundPod: { name: string; uid: string; nodeName?: string } | undefined;
      if (parsed.boundPod) {
        const pod = await registry.get('pods', namespace, parsed.boundPod.name);
        const uid = pod.metadata?.uid ?? '';
        if (parsed.boundPod.uid && parsed.boundPod.uid !== uid) {
          throw new ApiError('Conflict', `the UID in the bound object reference (${parsed.boundPod.uid}) does not match the UID in record; the object might have been deleted and then recreated`);
        }
        const podSa = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
        if (podSa !== name) throw new ApiError('BadRequest', `cannot bind token for serviceaccount "${name}" to pod "${parsed.boundPod.name}": the pod runs as serviceaccount "${podSa}"`);
        const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
        boundPod = { name: parsed.boundPod.name, uid, ...(nodeName ? { nodeName } : {}) };
      }
      // NodeRestriction: an agent gets tokens only for pods bound to itself.
      const node = nodeNameOf(ctx.user);
      if (node && (!boundPod || boundPod.nodeName !== node)) {
        throw new ApiError('Forbidden', `node "${node}" may only request tokens bound to a pod scheduled on it`);
      }
      const issued = await tokens.issue({ namespace, serviceAccount, audiences: parsed.audiences, expirationSeconds: parsed.expirationSeconds, ...(boundPod ? { boundPod } : {}) });
      const out = {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name, namespace, creationTimestamp: null },
        spec: {
          audiences: parsed.audiences,
          expirationSeconds: parsed.expirationSeconds,
          ...(boundPod ? { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: boundPod.name, uid: boundPod.uid } } : {}),
        },
        status: { token: issued.token, expirationTimestamp: issued.expirationTimestamp.toISOString().replace(/\.\d{3}Z$/, 'Z') },
      };
      return { object: JSON.stringify(out) };
    }),
  };
}
