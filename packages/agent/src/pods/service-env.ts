// The Service environment variables kubelet gives every container (pkg/kubelet/envvars and
// getServiceEnvVarMap): for each Service of the pod's namespace that has a ClusterIP (when
// spec.enableServiceLinks, the default) and for the `kubernetes` Service of namespace
// `default` (always), `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT`,
// `<NAME>_SERVICE_PORT_<PORTNAME>` and the Docker-link variables `<NAME>_PORT…`. Only the
// Services that exist when the container starts count: a Service made later reaches the
// pods started after it (or DNS). Pure.
import type { Service, ServicePort } from '@tugboat/api';

/** Where the `kubernetes` Service lives (kube-apiserver's --master-service-namespace). */
const MASTER_SERVICE_NAMESPACE = 'default';
const MASTER_SERVICES = new Set(['kubernetes']);

/** ClusterIP set and not "None": headless and ExternalName Services have no variables. */
export function hasClusterIP(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** `my-svc.v2` → `MY_SVC_V2`; a leading digit gets a `_` (a variable name cannot start with one). */
export function envVarName(name: string): string {
  const upper = name.replace(/[.-]/g, '_').toUpperCase();
  return /^[0-9]/.test(upper) ? `_${upper}` : upper;
}

function linkVariables(prefix: string, ip: string, ports: readonly ServicePort[]): [string, string][] {
  const out: [string, string][] = [];
  ports.forEach((p, i) => {
    const protocol = (p.protocol || 'TCP').toUpperCase();
    const url = `${protocol.toLowerCase()}://${ip}:${p.port}`;
    // Docker's links give the first port the short name.
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const portPrefix = `${prefix}_PORT_${p.port}_${protocol}`;
    out.push([portPrefix, url], [`${portPrefix}_PROTO`, protocol.toLowerCase()], [`${portPrefix}_PORT`, String(p.port)], [`${portPrefix}_ADDR`, ip]);
  });
  return out;
}

/** kubelet's envvars.FromServices for one Service, in its order. */
export function serviceVariables(svc: Service): [string, string][] {
  if (!hasClusterIP(svc)) return [];
  const ip = svc.spec?.clusterIP ?? '';
  const ports = svc.spec?.ports ?? [];
  const prefix = envVarName(svc.metadata?.name ?? '');
  const out: [string, string][] = [[`${prefix}_SERVICE_HOST`, ip]];
  const first = ports[0];
  if (first) {
    out.push([`${prefix}_SERVICE_PORT`, String(first.port)]);
    // Every named port (only the first may be unnamed).
    for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envVarName(p.name)}`, String(p.port)]);
  }
  out.push(...linkVariables(prefix, ip, ports));
  return out;
}

/**
 * The variables a container of a pod in `namespace` gets from `services` (every namespace's;
 * the rest are ignored). Services are taken in name order, so the result does not depend on
 * the cache's.
 */
export function serviceEnvVars(services: Iterable<Service>, namespace: string, enableServiceLinks = true): Record<string, string> {
  const chosen = new Map<string, Service>();
  for (const svc of services) {
    if (!hasClusterIP(svc)) continue;
    const name = svc.metadata?.name ?? '';
    const ns = svc.metadata?.namespace ?? '';
    // The master Service always counts, even without service links; a Service of the same
    // name in the pod's own namespace takes its place (kubelet's rule).
    if (ns === MASTER_SERVICE_NAMESPACE && MASTER_SERVICES.has(name)) { if (!chosen.has(name)) chosen.set(name, svc); }
    else if (ns === namespace && enableServiceLinks) chosen.set(name, svc);
  }
  const out: Record<string, string> = {};
  for (const name of [...chosen.keys()].sort()) for (const [k, v] of serviceVariables(chosen.get(name)!)) out[k] = v;
  return out;
}

/** Whether the `kubernetes` Service (in `default`, with a ClusterIP) is among `services`. */
export function hasMasterService(services: Iterable<Service>): boolean {
  for (const svc of services) {
    if (svc.metadata?.namespace === MASTER_SERVICE_NAMESPACE && MASTER_SERVICES.has(svc.metadata.name ?? '') && hasClusterIP(svc)) return true;
  }
  return false;
}

/**
 * The service variables of a container: the Services' own, and — when there is no
 * `kubernetes` Service to give them — `fallback` (KUBERNETES_SERVICE_HOST/PORT naming the
 * API server as the agent reaches it).
 */
export function podServiceEnv(services: readonly Service[], namespace: string, enableServiceLinks: boolean, fallback: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const own = serviceEnvVars(services, namespace, enableServiceLinks);
  return hasMasterService(services) || !fallback ? own : { ...fallback, ...own };
}
