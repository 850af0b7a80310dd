// A container's environment and command line as Kubernetes builds them: envFrom first, then
// env in order (later wins), values from ConfigMaps, Secrets and the downward API, and
// $(VAR) references expanded in env values, command and args; then the service variables
// (KUBERNETES_SERVICE_HOST/PORT) for any name the container did not set. A missing
// ConfigMap, Secret or key is the pod's CreateContainerConfigError, with kubelet's message.
import { isIP } from 'node:net';
import type { Container, EnvVar } from '@tugboat/api';
import type { PodObject } from './pod-util.js';

/** Where referenced ConfigMaps and Secrets come from (the API, in the agent). */
export interface EnvSources {
  /** data of the ConfigMap, or undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** data of the Secret, decoded, or undefined when it does not exist. */
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
}

export interface PodFacts {
  nodeName: string;
  hostIP: string;
  podIP: string;
  /**
   * kubelet's service environment: set unless the container sets the name itself, and
   * usable in $(VAR) references (kubelet's MappingFuncFor(env, serviceEnv)).
   */
  serviceEnv?: Readonly<Record<string, string>>;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Where a pod finds the API server, as Kubernetes' `kubernetes` Service tells it:
 * KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT. We have no Service ClusterIP yet, so
 * it is the address the agent itself uses — except that a loopback address inside a pod's
 * own network namespace is the pod, not the node: such a pod gets the node's side of its
 * network (`hostGateway`, the pod bridge's address) with the same port.
 */
export function kubernetesServiceEnv(apiServer: { host: string; port: number }, hostGateway: string | undefined): Record<string, string> {
  const host = hostGateway && isLoopback(apiServer.host) ? hostGateway : apiServer.host;
  return { KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: String(apiServer.port) };
}

export type EnvResult =
  | { ok: true; env: { name: string; value: string }[]; command: string[]; args: string[] }
  | { ok: false; reason: 'CreateContainerConfigError'; message: string };

/**
 * Kubernetes' expansion: `$(VAR)` becomes VAR's value when VAR is defined, and stays as
 * written when not; `$$` is a literal `$` (so `$$(VAR)` gives `$(VAR)`).
 */
export function expandVars(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) { out += ch; continue; }
    const next = input[i + 1];
    if (next === '$') { out += '$'; i++; continue; }
    if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) { out += input.slice(i); break; }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v ?? `$(${name})`;
      i = close;
      continue;
    }
    out += ch;
  }
  return out;
}

/** metadata.labels['app'] → ['labels', 'app'] */
function mapField(path: string): { map: 'labels' | 'annotations'; key: string } | undefined {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (!m?.[1] || m[2] === undefined) return undefined;
  return { map: m[1] as 'labels' | 'annotations', key: m[2] };
}

export function fieldRefValue(pod: PodObject, facts: PodFacts, fieldPath: string): string | undefined {
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? facts.nodeName;
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs': return facts.hostIP;
    case 'status.podIP':
    case 'status.podIPs': return facts.podIP;
  }
  const m = mapField(fieldPath);
  if (m) return pod.metadata?.[m.map]?.[m.key] ?? '';
  return undefined;
}

async function valueOf(e: EnvVar, pod: PodObject, facts: PodFacts, sources: EnvSources, lookup: (n: string) => string | undefined): Promise<string | { error: string } | undefined> {
  const ns = pod.metadata?.namespace ?? 'default';
  const from = e.valueFrom;
  if (!from) return expandVars(e.value ?? '', lookup);
  if (from.fieldRef) {
    const v = fieldRefValue(pod, facts, from.fieldRef.fieldPath);
    return v ?? { error: `env ${e.name}: unsupported fieldRef ${from.fieldRef.fieldPath}` };
  }
  if (from.configMapKeyRef) {
    const { name = '', key, optional } = from.configMapKeyRef;
    const data = await sources.configMap(ns, name);
    if (!data) return optional ? undefined : { error: `configmap "${name}" not found` };
    if (!(key in data)) return optional ? undefined : { error: `couldn't find key ${key} in ConfigMap ${ns}/${name}` };
    return data[key];
  }
  if (from.secretKeyRef) {
    const { name = '', key, optional } = from.secretKeyRef;
    const data = await sources.secret(ns, name);
    if (!data) return optional ? undefined : { error: `secret "${name}" not found` };
    if (!(key in data)) return optional ? undefined : { error: `couldn't find key ${key} in Secret ${ns}/${name}` };
    return data[key];
  }
  if (from.resourceFieldRef) return { error: `env ${e.name}: resourceFieldRef is not supported yet` };
  return expandVars(e.value ?? '', lookup);
}

export async function resolveContainerEnv(pod: PodObject, container: Container, facts: PodFacts, sources: EnvSources): Promise<EnvResult> {
  const ns = pod.metadata?.namespace ?? 'default';
  const vars = new Map<string, string>();
  const fail = (message: string): EnvResult => ({ ok: false, reason: 'CreateContainerConfigError', message });
  for (const src of container.envFrom ?? []) {
    const prefix = src.prefix ?? '';
    if (src.configMapRef) {
      const data = await sources.configMap(ns, src.configMapRef.name ?? '');
      if (!data) { if (src.configMapRef.optional) continue; return fail(`configmap "${src.configMapRef.name ?? ''}" not found`); }
      for (const [k, v] of Object.entries(data)) vars.set(prefix + k, v);
    }
    if (src.secretRef) {
      const data = await sources.secret(ns, src.secretRef.name ?? '');
      if (!data) { if (src.secretRef.optional) continue; return fail(`secret "${src.secretRef.name ?? ''}" not found`); }
      for (const [k, v] of Object.entries(data)) vars.set(prefix + k, v);
    }
  }
  const serviceEnv = facts.serviceEnv ?? {};
  const lookup = (n: string): string | undefined => vars.get(n) ?? (Object.hasOwn(serviceEnv, n) ? serviceEnv[n] : undefined);
  for (const e of container.env ?? []) {
    const v = await valueOf(e, pod, facts, sources, lookup);
    if (v === undefined) continue;
    if (typeof v !== 'string') return fail(v.error);
    // Re-setting moves it to the end: later definitions win, in definition order.
    vars.delete(e.name);
    vars.set(e.name, v);
  }
  for (const [name, value] of Object.entries(serviceEnv)) if (!vars.has(name)) vars.set(name, value);
  return {
    ok: true,
    env: [...vars].map(([name, value]) => ({ name, value })),
    command: (container.command ?? []).map((s) => expandVars(s, lookup)),
    args: (container.args ?? []).map((s) => expandVars(s, lookup)),
  };
}
