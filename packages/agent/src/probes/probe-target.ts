// From a container's probe spec to what exactly to run (pure): the timing with Kubernetes'
// defaults, and the action with its port resolved (by number or by the name of one of the
// container's ports) and its address checked. Network probes reach only the pod's own IP
// (or, for the process runtime, whose pods share the host's network, a loopback address):
// a `host` naming anything else is refused, never connected to.
import { isIP } from 'node:net';
import type { Container, Probe } from '@tugboat/api';
import type { ProbeKind } from './probe-types.js';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

export interface HttpHeader { name: string; value: string }

export type ProbeAction =
  | { type: 'exec'; command: string[] }
  | { type: 'httpGet'; url: URL; headers: HttpHeader[] }
  | { type: 'tcpSocket'; host: string; port: number }
  | { type: 'grpc'; host: string; port: number; service: string }
  /** The spec cannot be run as written (unknown port name, a host that is not the pod's): every run fails with this. */
  | { type: 'invalid'; message: string };

export interface ProbeTarget {
  /** The pod's IP: where network probes go unless `host` says otherwise. */
  podIP: string;
  /** The pod shares the host's network (process runtime): loopback addresses reach it too. */
  loopbackAllowed: boolean;
}

/** Kubernetes' defaults, also for explicit zeros (which its defaulting treats as unset). */
export function probeTiming(p: Probe, kind: ProbeKind): ProbeTiming {
  const pos = (v: number | undefined, d: number): number => (v !== undefined && v > 0 ? v : d);
  return {
    initialDelayMs: Math.max(0, p.initialDelaySeconds ?? 0) * 1000,
    periodMs: pos(p.periodSeconds, 10) * 1000,
    timeoutMs: pos(p.timeoutSeconds, 1) * 1000,
    // Liveness and startup decide on one success (validation insists on 1).
    successThreshold: kind === 'readiness' ? pos(p.successThreshold, 1) : 1,
    failureThreshold: pos(p.failureThreshold, 3),
  };
}

/** The container's probe of this kind, if it has one. */
export function probeOf(container: Container, kind: ProbeKind): Probe | undefined {
  switch (kind) {
    case 'liveness': return container.livenessProbe;
    case 'readiness': return container.readinessProbe;
    case 'startup': return container.startupProbe;
  }
}

function fieldOf(kind: ProbeKind): string {
  return `${kind}Probe`;
}

/** kubelet's ResolveContainerPort: a number, a named container port, or a number written as a string. */
export function resolvePort(port: number | string | undefined, container: Container): number | { error: string } {
  let n: number;
  if (typeof port === 'number') n = port;
  else if (typeof port === 'string') {
    const named = container.ports?.find((p) => p.name === port);
    if (named) n = named.containerPort;
    else if (/^\d+$/.test(port)) n = Number(port);
    else return { error: `port ${port} not found` };
  } else return { error: 'no port given' };
  if (!Number.isInteger(n) || n <= 0 || n >= 65536) return { error: `invalid port number: ${n}` };
  return n;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** The address to connect to: the pod IP, or `host` when it names the pod (or loopback where allowed). */
export function resolveHost(host: string | undefined, target: ProbeTarget, field: string): string | { error: string } {
  if (!host || host === target.podIP) return target.podIP;
  if (target.loopbackAllowed && isLoopback(host)) return host === 'localhost' ? '127.0.0.1' : host;
  return { error: `${field} "${host}" is not allowed: probes reach only the pod's own IP (${target.podIP})` };
}

export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

export function probeAction(p: Probe, kind: ProbeKind, container: Container, target: ProbeTarget): ProbeAction {
  const field = fieldOf(kind);
  if (p.exec) {
    const command = p.exec.command ?? [];
    if (!command.length) return { type: 'invalid', message: `${field}.exec.command is empty` };
    return { type: 'exec', command };
  }
  if (p.httpGet) {
    const h = p.httpGet;
    const port = resolvePort(h.port, container);
    if (typeof port !== 'number') return { type: 'invalid', message: `${field}.httpGet.port: ${port.error}` };
    const host = resolveHost(h.host, target, `${field}.httpGet.host`);
    if (typeof host !== 'string') return { type: 'invalid', message: host.error };
    const scheme = (h.scheme ?? 'HTTP').toLowerCase();
    if (scheme !== 'http' && scheme !== 'https') return { type: 'invalid', message: `${field}.httpGet.scheme "${h.scheme ?? ''}" is not HTTP or HTTPS` };
    const path = h.path ?? '/';
    // The authority is ours; the path only adds path and query (a path of "//elsewhere" stays a path).
    let url: URL;
    try {
      url = new URL(`${scheme}://${hostPort(host, port)}${path.startsWith('/') ? path : `/${path}`}`);
    } catch {
      return { type: 'invalid', message: `${field}.httpGet.path "${path}" is not a valid path` };
    }
    const urlPort = url.port === '' ? defaultPort(scheme) : Number(url.port);
    if (url.hostname !== new URL(`${scheme}://${hostPort(host, port)}/`).hostname || urlPort !== port) {
      return { type: 'invalid', message: `${field}.httpGet.path "${path}" is not a valid path` };
    }
    const headers = (h.httpHeaders ?? []).filter((x) => x.name).map((x) => ({ name: x.name, value: x.value ?? '' }));
    return { type: 'httpGet', url, headers };
  }
  if (p.tcpSocket) {
    const port = resolvePort(p.tcpSocket.port, container);
    if (typeof port !== 'number') return { type: 'invalid', message: `${field}.tcpSocket.port: ${port.error}` };
    const host = resolveHost(p.tcpSocket.host, target, `${field}.tcpSocket.host`);
    if (typeof host !== 'string') return { type: 'invalid', message: host.error };
    return { type: 'tcpSocket', host, port };
  }
  if (p.grpc) {
    const port = resolvePort(p.grpc.port, container);
    if (typeof port !== 'number') return { type: 'invalid', message: `${field}.grpc.port: ${port.error}` };
    return { type: 'grpc', host: target.podIP, port, service: p.grpc.service ?? '' };
  }
  return { type: 'invalid', message: `${field} has no handler (exec, httpGet, tcpSocket or grpc)` };
}

function defaultPort(scheme: string): number {
  return scheme === 'https' ? 443 : 80;
}
