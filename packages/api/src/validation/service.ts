// Service, Endpoints and EndpointSlice validation (Kubernetes' pkg/apis/core/validation and
// pkg/apis/discovery/validation), with Kubernetes' messages. Address allocation (a ClusterIP in
// the service range, node ports in their range, neither taken) is the API server's, which
// owns the ranges; this checks what a manifest can get wrong by itself.
import type { EndpointSubset, Endpoints, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { isDNS1123Label, isDNS1123Subdomain, isValidIP, isValidPortName, isValidPortNum } from '../names.js';
import { validateLabels } from './meta.js';
import { child, duplicate, each, forbidden, index, invalid, oneOf, required, tooMany, type Errs } from './field-errors.js';

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'] as const;
export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
const MAX_SLICE_ENDPOINTS = 1000;

function validatePort(p: ServicePort, path: string, multiple: boolean, type: string | undefined): Errs {
  const errs: Errs = [];
  if (!p.name) {
    if (multiple) errs.push(required(child(path, 'name')));
  } else {
    errs.push(...each(child(path, 'name'), p.name, isDNS1123Label(p.name)));
  }
  if (p.port === undefined || p.port === null) errs.push(required(child(path, 'port')));
  else errs.push(...each(child(path, 'port'), p.port, isValidPortNum(p.port)));
  errs.push(...oneOf(child(path, 'protocol'), p.protocol, PROTOCOLS));
  const tp = p.targetPort;
  if (typeof tp === 'number') errs.push(...each(child(path, 'targetPort'), tp, isValidPortNum(tp)));
  else if (typeof tp === 'string' && tp !== '') errs.push(...each(child(path, 'targetPort'), tp, isValidPortName(tp)));
  if (p.nodePort !== undefined && p.nodePort !== null && p.nodePort !== 0) {
    if (type !== 'NodePort' && type !== 'LoadBalancer') errs.push(forbidden(child(path, 'nodePort'), `may not be used when \`type\` is '${type ?? 'ClusterIP'}'`));
    else errs.push(...each(child(path, 'nodePort'), p.nodePort, isValidPortNum(p.nodePort)));
  }
  return errs;
}

export function validateService(svc: Service): Errs {
  const errs: Errs = [];
  const spec = svc.spec;
  if (!spec) return [required('spec')];
  const type = spec.type;
  errs.push(...oneOf('spec.type', type, SERVICE_TYPES));
  const headless = spec.clusterIP === 'None';
  if (type === 'ExternalName') {
    if (!spec.externalName) errs.push(required('spec.externalName'));
    else errs.push(...each('spec.externalName', spec.externalName, isDNS1123Subdomain(spec.externalName)));
    if (spec.clusterIP && spec.clusterIP !== '') errs.push(forbidden('spec.clusterIP', 'may not be set for ExternalName services'));
  } else if (spec.externalName) {
    errs.push(forbidden('spec.externalName', `may not be set when \`type\` is '${type ?? 'ClusterIP'}'`));
  }
  if (spec.clusterIP && !headless) errs.push(...each('spec.clusterIP', spec.clusterIP, isValidIP(spec.clusterIP)));
  if (headless && (type === 'NodePort' || type === 'LoadBalancer')) errs.push(invalid('spec.clusterIP', 'None', `may not be set to 'None' for ${type} services`));
  (spec.clusterIPs ?? []).forEach((ip, i) => {
    if (ip !== 'None') errs.push(...each(index('spec.clusterIPs', i), ip, isValidIP(ip)));
  });
  if (spec.clusterIP && spec.clusterIPs?.length && spec.clusterIPs[0] !== spec.clusterIP) {
    errs.push(invalid('spec.clusterIPs', spec.clusterIPs, 'must be empty or the first value must match spec.clusterIP'));
  }
  const ports = spec.ports ?? [];
  if (ports.length === 0 && !headless && type !== 'ExternalName') errs.push(required('spec.ports'));
  const names = new Set<string>();
  const nodePorts = new Map<string, number>();
  ports.forEach((p, i) => {
    const path = index('spec.ports', i);
    errs.push(...validatePort(p, path, ports.length > 1, type));
    if (p.name) {
      if (names.has(p.name)) errs.push(duplicate(child(path, 'name'), p.name));
      names.add(p.name);
    }
    if (p.nodePort) {
      const k = `${p.nodePort}/${p.protocol ?? 'TCP'}`;
      if (nodePorts.has(k)) errs.push(duplicate(child(path, 'nodePort'), p.nodePort));
      nodePorts.set(k, i);
    }
  });
  if (spec.selector) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  errs.push(...oneOf('spec.sessionAffinity', spec.sessionAffinity, ['None', 'ClientIP']));
  errs.push(...oneOf('spec.internalTrafficPolicy', spec.internalTrafficPolicy, ['Cluster', 'Local']));
  if (spec.externalTrafficPolicy !== undefined) {
    if (type !== 'NodePort' && type !== 'LoadBalancer') errs.push(invalid('spec.externalTrafficPolicy', spec.externalTrafficPolicy, 'may only be set when `type` is \'NodePort\' or \'LoadBalancer\''));
    else errs.push(...oneOf('spec.externalTrafficPolicy', spec.externalTrafficPolicy, ['Cluster', 'Local']));
  }
  (spec.ipFamilies ?? []).forEach((f, i) => errs.push(...oneOf(index('spec.ipFamilies', i), f, ['IPv4'])));
  return errs;
}

/**
 * What an update may not change, as Kubernetes has it: a ClusterIP once set stays (a
 * Service must be deleted to get another), except when it becomes or stops being ExternalName.
 */
export function validateServiceUpdate(svc: Service, old: Service): Errs {
  const errs: Errs = [];
  const was = old.spec?.clusterIP;
  const now = svc.spec?.clusterIP;
  const external = svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName';
  if (!external && was && was !== now && now !== undefined && now !== '') {
    errs.push(invalid('spec.clusterIPs[0]', now, 'may not change once set'));
  }
  if (!external && was && (now === undefined || now === '') && svc.spec?.clusterIPs?.length === 0) {
    errs.push(invalid('spec.clusterIPs[0]', '', 'may not change once set'));
  }
  return errs;
}

function validateSubset(s: EndpointSubset, path: string): Errs {
  const errs: Errs = [];
  for (const field of ['addresses', 'notReadyAddresses'] as const) {
    (s[field] ?? []).forEach((a, i) => {
      const p = index(child(path, field), i);
      if (!a.ip) errs.push(required(child(p, 'ip')));
      else errs.push(...each(child(p, 'ip'), a.ip, isValidIP(a.ip)));
    });
  }
  (s.ports ?? []).forEach((p, i) => {
    const pp = index(child(path, 'ports'), i);
    if (p.name) errs.push(...each(child(pp, 'name'), p.name, isDNS1123Label(p.name)));
    errs.push(...each(child(pp, 'port'), p.port, isValidPortNum(p.port)));
    errs.push(...oneOf(child(pp, 'protocol'), p.protocol, PROTOCOLS));
  });
  return errs;
}

export function validateEndpoints(ep: Endpoints): Errs {
  return (ep.subsets ?? []).flatMap((s, i) => validateSubset(s, index('subsets', i)));
}

export function validateEndpointSlice(slice: EndpointSlice): Errs {
  const errs: Errs = [];
  const type = slice.addressType as string | undefined;
  if (!type) errs.push(required('addressType'));
  else errs.push(...oneOf('addressType', type, ['IPv4', 'IPv6', 'FQDN']));
  const endpoints = slice.endpoints ?? [];
  if (endpoints.length > MAX_SLICE_ENDPOINTS) errs.push(tooMany('endpoints', endpoints.length, MAX_SLICE_ENDPOINTS));
  endpoints.forEach((e, i) => {
    const p = index('endpoints', i);
    if (!e.addresses?.length) errs.push(required(child(p, 'addresses'), 'must contain at least 1 address'));
    (e.addresses ?? []).forEach((a, j) => {
      const ap = index(child(p, 'addresses'), j);
      if (type === 'IPv4' && (isValidIP(a).length > 0 || a.includes(':'))) errs.push(invalid(ap, a, 'must be a valid IPv4 address'));
      if (type === 'FQDN') errs.push(...each(ap, a, isDNS1123Subdomain(a)));
    });
    if (e.hostname) errs.push(...each(child(p, 'hostname'), e.hostname, isDNS1123Label(e.hostname)));
  });
  (slice.ports ?? []).forEach((port, i) => {
    const pp = index('ports', i);
    if (port.name) errs.push(...each(child(pp, 'name'), port.name, isDNS1123Label(port.name)));
    if (port.port !== undefined && port.port !== null) errs.push(...each(child(pp, 'port'), port.port, isValidPortNum(port.port)));
    errs.push(...oneOf(child(pp, 'protocol'), port.protocol, PROTOCOLS));
  });
  return errs;
}

export function validateEndpointSliceUpdate(slice: EndpointSlice, old: EndpointSlice): Errs {
  return slice.addressType !== old.addressType ? [invalid('addressType', slice.addressType, 'field is immutable')] : [];
}
