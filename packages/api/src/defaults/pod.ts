// Kubernetes' defaults for pods and pod templates (pkg/apis/core/v1/defaults.go). Each
// function fills in only what is missing, in place, on an object that admission already
// pruned and type-checked (or on a copy, for defaultObject).
import type { Container, PodSpec, Probe, Pod, Volume, HTTPGetAction, EnvVar } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../quantity.js';
import { KNOWN_FIELDS } from '../schema/known-fields.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** 0644: the file mode Kubernetes gives secret / configMap / downwardAPI / projected files. */
const DEFAULT_VOLUME_MODE = 0o644;

/**
 * Always for ":latest" or an untagged image (the tag may move), IfNotPresent for any other
 * tag or a digest — Kubernetes' rule.
 */
export function defaultImagePullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  const ref = image ?? '';
  if (ref.includes('@')) return 'IfNotPresent';
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  const tag = colon < 0 ? 'latest' : ref.slice(colon + 1);
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(h: HTTPGetAction | undefined): void {
  if (!h) return;
  h.path ??= '/';
  h.scheme ??= 'HTTP';
}

function defaultProbe(p: Probe | undefined): void {
  if (!p) return;
  p.timeoutSeconds ??= 1;
  p.periodSeconds ??= 10;
  p.successThreshold ??= 1;
  p.failureThreshold ??= 3;
  defaultHTTPGet(p.httpGet);
}

function defaultEnv(env: EnvVar[] | undefined): void {
  for (const e of env ?? []) {
    if (e.valueFrom?.fieldRef) e.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
}

export function defaultContainer(c: Container): void {
  c.imagePullPolicy ??= defaultImagePullPolicy(c.image);
  c.terminationMessagePath ??= DEFAULT_TERMINATION_MESSAGE_PATH;
  c.terminationMessagePolicy ??= 'File';
  for (const port of c.ports ?? []) port.protocol ??= 'TCP';
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  defaultHTTPGet(c.lifecycle?.postStart?.httpGet);
  defaultHTTPGet(c.lifecycle?.preStop?.httpGet);
  defaultEnv(c.env);
}

/** The source fields a Volume may set (exactly one): every Volume field but its name. */
export const VOLUME_SOURCE_FIELDS: readonly string[] = Object.keys(KNOWN_FIELDS['Volume'] ?? {}).filter((f) => f !== 'name');

function defaultVolume(v: Volume): void {
  const rec = v as unknown as Record<string, unknown>;
  // A volume that names no source is an emptyDir, as in Kubernetes.
  if (!VOLUME_SOURCE_FIELDS.some((s) => rec[s] !== undefined)) v.emptyDir = {};
  if (v.secret) v.secret.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.configMap) v.configMap.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.downwardAPI) v.downwardAPI.defaultMode ??= DEFAULT_VOLUME_MODE;
  if (v.projected) v.projected.defaultMode ??= DEFAULT_VOLUME_MODE;
  for (const item of v.downwardAPI?.items ?? []) if (item.fieldRef) item.fieldRef.apiVersion ??= 'v1';
}

/** With hostNetwork the host port is the container port (Kubernetes fills it in). */
function defaultHostNetworkPorts(containers: Container[] | undefined): void {
  for (const c of containers ?? []) {
    for (const p of c.ports ?? []) if (!p.hostPort) p.hostPort = p.containerPort;
  }
}

/** Defaults of a PodSpec, shared by pods and pod templates. */
export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.schedulerName ??= DEFAULT_SCHEDULER_NAME;
  spec.securityContext ??= {};
  if (spec.hostNetwork) {
    defaultHostNetworkPorts(spec.containers);
    defaultHostNetworkPorts(spec.initContainers);
  }
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.ephemeralContainers ?? []) defaultContainer(c as Container);
  for (const v of spec.volumes ?? []) defaultVolume(v);
}

/** Requests default to limits: a container that only says "at most 1 cpu" asks for 1 cpu. */
function defaultRequestsFromLimits(c: Container): void {
  const limits = c.resources?.limits;
  if (!limits || !c.resources) return;
  for (const [name, q] of Object.entries(limits)) {
    c.resources.requests ??= {};
    c.resources.requests[name] ??= q;
  }
}

/** What Kubernetes sets on a Pod (not on a template): the PodSpec defaults and a few more. */
export function defaultPod(pod: Pod): void {
  pod.spec ??= { containers: [] };
  const spec = pod.spec;
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) defaultRequestsFromLimits(c);
  // spec.priority and spec.preemptionPolicy are not defaults: the API server's Priority
  // admission resolves them from the pod's PriorityClass (registry/priority-admission.ts).
}

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

/** Kubernetes' GetPodQOS: on cpu and memory requests and limits of all containers. */
export function podQOSClass(spec: PodSpec | undefined): QOSClass {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  const positive = (q: string): bigint => {
    try { const n = parseQuantity(q).nanos; return n > 0n ? n : 0n; } catch { return 0n; }
  };
  for (const c of [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])]) {
    for (const [name, q] of Object.entries(c.resources?.requests ?? {})) {
      if ((name === 'cpu' || name === 'memory') && positive(q) > 0n) requests.set(name, (requests.get(name) ?? 0n) + positive(q));
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(c.resources?.limits ?? {})) {
      if ((name === 'cpu' || name === 'memory') && positive(q) > 0n) {
        limits.set(name, (limits.get(name) ?? 0n) + positive(q));
        found.add(name);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, r] of requests) if (limits.get(name) !== r) guaranteed = false;
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
