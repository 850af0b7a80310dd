// Namespace, Node, Event, ConfigMap, Secret and Lease validation (Kubernetes'
// pkg/apis/core/validation and pkg/apis/coordination/validation).
import type { ConfigMap, Event, Namespace, Node, Secret } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { isConfigMapKey, isQualifiedName, isValidIP, isValidLabelValue } from '../names.js';
import { parseQuantity } from '../quantity.js';
import { child, duplicate, each, forbidden, index, invalid, key, nonNegative, oneOf, positive, required, tooLong, type Errs } from './field-errors.js';
import { validateConditions, TAINT_EFFECTS } from './pod.js';
import { deepEqual } from './equal.js';

/** Secrets and config maps hold at most 1 MiB of data, as in Kubernetes. */
export const MAX_DATA_SIZE = 1024 * 1024;
const REDACTED = '<secret contents redacted>';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function validateNamespace(ns: Namespace): Errs {
  const errs: Errs = [];
  (ns.spec?.finalizers ?? []).forEach((f, i) => errs.push(...each(index('spec.finalizers', i), f, isQualifiedName(f))));
  return errs;
}

export function validateNamespaceStatus(ns: Namespace): Errs {
  return oneOf('status.phase', ns.status?.phase, ['Active', 'Terminating']);
}

export function validateNode(node: Node): Errs {
  const errs: Errs = [];
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = index('spec.taints', i);
    if (t.key) errs.push(...each(child(p, 'key'), t.key, isQualifiedName(t.key)));
    if (t.value) errs.push(...each(child(p, 'value'), t.value, isValidLabelValue(t.value)));
    if (!t.effect) errs.push(required(child(p, 'effect')));
    else errs.push(...oneOf(child(p, 'effect'), t.effect, TAINT_EFFECTS));
    const k = `${t.key}:${t.effect}`;
    if (seen.has(k)) errs.push({ ...duplicate(p, t), detail: 'taints must be unique by key and effect pair' });
    seen.add(k);
  });
  for (const cidr of [node.spec?.podCIDR, ...(node.spec?.podCIDRs ?? [])]) {
    if (cidr === undefined) continue;
    const [ip, bits, extra] = cidr.split('/');
    if (extra !== undefined || !ip || isValidIP(ip).length > 0 || !bits || !/^\d+$/.test(bits)) {
      errs.push(invalid(node.spec?.podCIDR === cidr ? 'spec.podCIDR' : 'spec.podCIDRs', cidr, 'must be a valid CIDR (e.g. 198.18.0.0/24)'));
    }
  }
  errs.push(...validateNodeStatus(node));
  return errs;
}

const NODE_ADDRESS_TYPES = ['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS'];

export function validateNodeStatus(node: Node): Errs {
  const s = node.status;
  if (!s) return [];
  const errs: Errs = [];
  for (const f of ['capacity', 'allocatable'] as const) {
    for (const [name, q] of Object.entries(s[f] ?? {})) {
      if (parseQuantity(q).sign() < 0) errs.push(invalid(key(`status.${f}`, name), q, 'must be greater than or equal to 0'));
    }
  }
  errs.push(...validateConditions(s.conditions, 'status.conditions'));
  (s.addresses ?? []).forEach((a, i) => errs.push(...oneOf(child(index('status.addresses', i), 'type'), a.type, NODE_ADDRESS_TYPES)));
  const port = s.daemonEndpoints?.kubeletEndpoint?.Port;
  if (port !== undefined && (port < 0 || port > 65535)) {
    errs.push(invalid('status.daemonEndpoints.kubeletEndpoint.Port', port, 'must be between 0 and 65535, inclusive'));
  }
  return errs;
}

export function validateEvent(ev: Event): Errs {
  const errs: Errs = [];
  const io = ev.involvedObject;
  const ns = ev.metadata?.namespace ?? '';
  if (io) {
    if (!io.kind) errs.push(required('involvedObject.kind'));
    if (!io.name) errs.push(required('involvedObject.name'));
    // An event lives beside what it is about; events about cluster-scoped objects live in "default".
    const mismatch = io.namespace ? io.namespace !== ns : ns !== '' && ns !== 'default';
    if (mismatch) errs.push(invalid('involvedObject.namespace', io.namespace ?? '', 'does not match event.namespace'));
  }
  errs.push(...oneOf('type', ev.type, ['Normal', 'Warning']));
  errs.push(...nonNegative('count', ev.count));
  return errs;
}

function validateDataKeys(data: Record<string, string> | undefined, path: string): Errs {
  const errs: Errs = [];
  for (const k of Object.keys(data ?? {})) errs.push(...each(key(path, k), k, isConfigMapKey(k)));
  return errs;
}

function base64Errors(data: Record<string, string> | undefined, path: string, redact: boolean): Errs {
  const errs: Errs = [];
  for (const [k, v] of Object.entries(data ?? {})) {
    if (!BASE64.test(v)) errs.push(invalid(key(path, k), redact ? REDACTED : undefined, 'must be base64-encoded'));
  }
  return errs;
}

function decodedSize(data: Record<string, string> | undefined): number {
  let n = 0;
  for (const v of Object.values(data ?? {})) n += Buffer.byteLength(v, 'base64');
  return n;
}

export function validateConfigMap(cm: ConfigMap): Errs {
  const errs: Errs = [...validateDataKeys(cm.data, 'data'), ...validateDataKeys(cm.binaryData, 'binaryData')];
  for (const k of Object.keys(cm.data ?? {})) {
    if (cm.binaryData && k in cm.binaryData) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
  }
  errs.push(...base64Errors(cm.binaryData, 'binaryData', false));
  let size = decodedSize(cm.binaryData);
  for (const [k, v] of Object.entries(cm.data ?? {})) size += Buffer.byteLength(k) + Buffer.byteLength(v);
  if (size > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  return errs;
}

/** Keys a typed secret must carry (Kubernetes' ValidateSecret). */
const REQUIRED_SECRET_KEYS: Readonly<Record<string, readonly string[]>> = {
  'kubernetes.io/dockercfg': ['.dockercfg'],
  'kubernetes.io/dockerconfigjson': ['.dockerconfigjson'],
  'kubernetes.io/ssh-auth': ['ssh-privatekey'],
  'kubernetes.io/tls': ['tls.crt', 'tls.key'],
};

export function validateSecret(s: Secret): Errs {
  const errs: Errs = [...validateDataKeys(s.data, 'data'), ...base64Errors(s.data, 'data', true)];
  if (decodedSize(s.data) > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  const type = s.type ?? 'Opaque';
  const data = s.data ?? {};
  for (const k of REQUIRED_SECRET_KEYS[type] ?? []) if (!(k in data)) errs.push(required(key('data', k)));
  const jsonKey = type === 'kubernetes.io/dockercfg' ? '.dockercfg' : type === 'kubernetes.io/dockerconfigjson' ? '.dockerconfigjson' : undefined;
  const json = jsonKey ? data[jsonKey] : undefined;
  if (jsonKey && json !== undefined && BASE64.test(json)) {
    try { JSON.parse(Buffer.from(json, 'base64').toString('utf8')); } catch (err) {
      errs.push(invalid(key('data', jsonKey), REDACTED, (err as Error).message));
    }
  }
  if (type === 'kubernetes.io/basic-auth' && !('username' in data) && !('password' in data)) {
    errs.push(required(key('data', 'username')), required(key('data', 'password')));
  }
  if (type === 'kubernetes.io/service-account-token' && !s.metadata?.annotations?.['kubernetes.io/service-account.name']) {
    errs.push(required(key('metadata.annotations', 'kubernetes.io/service-account.name')));
  }
  return errs;
}

/** With `immutable: true` set, data can never change again and the flag cannot be cleared. */
function validateImmutableData(now: { immutable?: boolean }, old: { immutable?: boolean }, fields: Array<[string, unknown, unknown]>): Errs {
  if (old.immutable !== true) return [];
  const errs: Errs = [];
  if (now.immutable !== true) errs.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const [name, a, b] of fields) if (!deepEqual(a ?? {}, b ?? {})) errs.push(forbidden(name, 'field is immutable when `immutable` is set'));
  return errs;
}

export function validateSecretUpdate(now: Secret, old: Secret): Errs {
  const errs: Errs = [];
  if ((now.type ?? 'Opaque') !== (old.type ?? 'Opaque')) errs.push(invalid('type', now.type, 'field is immutable'));
  errs.push(...validateImmutableData(now, old, [['data', now.data, old.data]]));
  return errs;
}

export function validateConfigMapUpdate(now: ConfigMap, old: ConfigMap): Errs {
  return validateImmutableData(now, old, [['data', now.data, old.data], ['binaryData', now.binaryData, old.binaryData]]);
}

export function validateLease(l: Lease): Errs {
  return [
    ...positive('spec.leaseDurationSeconds', l.spec?.leaseDurationSeconds),
    ...nonNegative('spec.leaseTransitions', l.spec?.leaseTransitions),
  ];
}
