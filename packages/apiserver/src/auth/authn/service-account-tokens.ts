// ServiceAccount tokens: JWTs signed by the API server (ES256, with jose, a well-kept JOSE
// library), in Kubernetes' shape, so in-cluster clients and tools that read them work as
// they do on Kubernetes:
//   iss, sub "system:serviceaccount:NS:NAME", aud, exp, iat, nbf, jti,
//   "kubernetes.io": { namespace, serviceaccount: {name, uid}, pod?: {name, uid}, node?: {name} }
// A token is accepted only while its signature, issuer, audience and lifetime check out AND
// the ServiceAccount (and the pod it is bound to) still exist with the same uid: deleting
// either revokes it.
import { createHash, createPublicKey, randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, importPKCS8, importSPKI, jwtVerify, type CryptoKey as JoseKey, type JWTPayload } from 'jose';
import { ApiError, serviceAccountGroups, serviceAccountUsername, type KubeObject, type UserInfo } from '@tugboat/api';
import type { TokenAuthenticator, TokenResult } from './token-authenticator.js';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
/** Accepted clock difference between the API server and whoever made a token's times. */
const LEEWAY_SECONDS = 60;

export interface ServiceAccountLookups {
  /** Resolves once the caches behind the lookups hold a full list. */
  synced(): Promise<void>;
  serviceAccount(namespace: string, name: string): KubeObject | undefined;
  pod(namespace: string, name: string): { readonly uid: string } | undefined;
}

export interface ServiceAccountTokenOptions {
  /** PEM private key that signs TokenRequests; without it the server only verifies. */
  readonly signingKeyPem?: string;
  /** PEM public keys that verify tokens (the signing key's own is added). */
  readonly publicKeysPem: readonly string[];
  readonly issuer: string;
  /** Audiences the API server accepts; the first is the default of a TokenRequest. */
  readonly audiences: readonly string[];
  readonly lookups: ServiceAccountLookups;
  readonly now?: () => number;
}

export interface IssueRequest {
  readonly namespace: string;
  readonly serviceAccount: KubeObject;
  readonly audiences: readonly string[];
  readonly expirationSeconds: number;
  readonly boundPod?: { readonly name: string; readonly uid: string; readonly nodeName?: string };
}

interface K8sClaims {
  namespace?: string;
  serviceaccount?: { name?: string; uid?: string };
  pod?: { name?: string; uid?: string };
  node?: { name?: string };
}

/** Kubernetes' key id: the base64url SHA-256 of the public key's DER. */
function keyId(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('base64url');
}

export class ServiceAccountTokens implements TokenAuthenticator {
  private readonly now: () => number;
  private signer: Promise<{ key: JoseKey; kid: string }> | undefined;
  private readonly verifiers: Promise<Map<string, JoseKey>>;

  constructor(private readonly options: ServiceAccountTokenOptions) {
    this.now = options.now ?? Date.now;
    const publics = [...options.publicKeysPem];
    if (options.signingKeyPem) {
      const pub = createPublicKey(options.signingKeyPem).export({ type: 'spki', format: 'pem' }).toString();
      if (!publics.some((p) => keyId(p) === keyId(pub))) publics.push(pub);
      const signingKeyPem = options.signingKeyPem;
      this.signer = importPKCS8(signingKeyPem, 'ES256').then((key) => ({ key, kid: keyId(pub) }));
    }
    this.verifiers = Promise.all(publics.map(async (p) => [keyId(p), await importSPKI(p, 'ES256')] as const)).then((pairs) => new Map(pairs));
  }

  get issuer(): string { return this.options.issuer; }
  get audiences(): readonly string[] { return this.options.audiences; }
  get canIssue(): boolean { return this.signer !== undefined; }

  async issue(req: IssueRequest): Promise<{ token: string; expirationTimestamp: Date }> {
    if (!this.signer) throw new ApiError('Internal', 'this API server has no --service-account-signing-key-file: it cannot issue tokens');
    const { key, kid } = await this.signer;
    const sa = req.serviceAccount;
    const name = sa.metadata?.name ?? '';
    const nowS = Math.floor(this.now() / 1000);
    const exp = nowS + req.expirationSeconds;
    const claims: K8sClaims = {
      namespace: req.namespace,
      serviceaccount: { name, uid: sa.metadata?.uid ?? '' },
      ...(req.boundPod ? { pod: { name: req.boundPod.name, uid: req.boundPod.uid } } : {}),
      ...(req.boundPod?.nodeName ? { node: { name: req.boundPod.nodeName } } : {}),
    };
    const token = await new SignJWT({ 'kubernetes.io': claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(this.options.issuer)
      .setSubject(serviceAccountUsername(req.namespace, name))
      .setAudience([...req.audiences])
      .setIssuedAt(nowS)
      .setNotBefore(nowS)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(key);
    return { token, expirationTimestamp: new Date(exp * 1000) };
  }

  /** The user a token names, or undefined for anything that is not a valid, live token of ours. */
  async authenticate(token: string): Promise<TokenResult> {
    // Cheap structural checks first: most garbage never reaches the signature check.
    if (token.length > 16_384 || token.split('.').length !== 3) return undefined;
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'ES256') return undefined;
      kid = typeof header.kid === 'string' ? header.kid : undefined;
    } catch {
      return undefined;
    }
    const keys = await this.verifiers;
    const candidates = kid !== undefined ? (keys.has(kid) ? [keys.get(kid)!] : []) : [...keys.values()];
    let payload: JWTPayload | undefined;
    for (const key of candidates) {
      try {
        const res = await jwtVerify(token, key, {
          issuer: this.options.issuer,
          audience: [...this.options.audiences],
          algorithms: ['ES256'],
          clockTolerance: LEEWAY_SECONDS,
          currentDate: new Date(this.now()),
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        payload = res.payload;
        break;
      } catch {
        // Not this key, expired, wrong audience…: the answer is "not ours" either way.
      }
    }
    if (!payload) return undefined;
    return this.userOf(payload);
  }

  private async userOf(payload: JWTPayload): Promise<TokenResult> {
    const k8s = (payload['kubernetes.io'] ?? {}) as K8sClaims;
    const namespace = k8s.namespace ?? '';
    const saName = k8s.serviceaccount?.name ?? '';
    const saUid = k8s.serviceaccount?.uid ?? '';
    if (!namespace || !saName || payload.sub !== serviceAccountUsername(namespace, saName)) return undefined;
    await this.options.lookups.synced();
    const sa = this.options.lookups.serviceAccount(namespace, saName);
    if (!sa || (saUid && sa.metadata?.uid !== saUid)) return undefined;
    const extra: Record<string, string[]> = {};
    if (k8s.pod?.name) {
      const pod = this.options.lookups.pod(namespace, k8s.pod.name);
      if (!pod || pod.uid !== k8s.pod.uid) return undefined;
      extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k8s.pod.uid ?? ''];
    }
    if (k8s.node?.name) extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
    if (payload.jti) extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
    const user: UserInfo = {
      username: serviceAccountUsername(namespace, saName),
      uid: sa.metadata?.uid ?? '',
      groups: serviceAccountGroups(namespace),
      extra,
    };
    return { user, ...(payload.exp ? { expiresAt: payload.exp * 1000 } : {}) };
  }
}
