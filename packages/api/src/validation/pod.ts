// Pod and PodSpec validation, after Kubernetes' pkg/apis/core/validation: the same rules and,
// where practical, the same messages, so a manifest Kubernetes rejects is rejected here too
// and the user reads the message they already know.
import type {
  Affinity, Container, ContainerPort, EnvFromSource, EnvVar, Lifecycle, LifecycleHandler, NodeSelectorRequirement, NodeSelectorTerm,
  Pod, PodAffinityTerm, PodSpec, Probe, ResourceRequirements, SecurityContext, PodSecurityContext, Toleration,
  TopologySpreadConstraint, Volume, VolumeMount,
} from 'kubernetes-types/core/v1.js';
import {
  inclusiveRangeError, isConfigMapKey, isDNS1123Label, isDNS1123Subdomain, isEnvVarName, isQualifiedName, isValidIP,
  isValidLabelValue, isValidPortName, isValidPortNum,
} from '../names.js';
import { parseQuantity, type Quantity } from '../quantity.js';
import { VOLUME_SOURCE_FIELDS } from '../defaults/pod.js';
import {
  child, duplicate, each, forbidden, index, invalid, key, nonNegative, notSupported, oneOf, required, type Errs,
} from './field-errors.js';
import { validateLabelSelector, validateLabels } from './meta.js';

const MAX_INT32 = 2147483647;

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'] as const;
export const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'] as const;
export const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'] as const;
export const PROTOCOLS = ['SCTP', 'TCP', 'UDP'] as const;
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const;
export const POD_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;

function present(o: object, fields: readonly string[]): string[] {
  const rec = o as Record<string, unknown>;
  return fields.filter((f) => rec[f] !== undefined);
}

// ---- small pieces --------------------------------------------------------------------

function validatePortNumOrName(port: number | string | undefined, path: string): Errs {
  if (port === undefined) return [];
  if (typeof port === 'number') return each(path, port, isValidPortNum(port));
  return each(path, port, isValidPortName(port));
}

function validateIDs(sc: SecurityContext | PodSecurityContext | undefined, path: string): Errs {
  const errs: Errs = [];
  for (const f of ['runAsUser', 'runAsGroup', 'fsGroup'] as const) {
    const v = (sc as Record<string, unknown> | undefined)?.[f];
    if (typeof v === 'number' && (v < 0 || v > MAX_INT32)) errs.push(invalid(child(path, f), v, inclusiveRangeError(0, MAX_INT32)));
  }
  return errs;
}

function validatePodSecurityContext(sc: PodSecurityContext | undefined, path: string): Errs {
  if (!sc) return [];
  const errs = validateIDs(sc, path);
  (sc.supplementalGroups ?? []).forEach((g, i) => {
    if (g < 0 || g > MAX_INT32) errs.push(invalid(index(child(path, 'supplementalGroups'), i), g, inclusiveRangeError(0, MAX_INT32)));
  });
  errs.push(...oneOf(child(path, 'fsGroupChangePolicy'), sc.fsGroupChangePolicy, ['OnRootMismatch', 'Always']));
  errs.push(...oneOf(`${child(path, 'seccompProfile')}.type`, sc.seccompProfile?.type, ['RuntimeDefault', 'Unconfined', 'Localhost']));
  (sc.sysctls ?? []).forEach((s, i) => {
    if (!/^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$/.test(s.name)) {
      errs.push(invalid(child(index(child(path, 'sysctls'), i), 'name'), s.name, "must have at most 253 characters and match regex ^([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*[a-z0-9]([-_a-z0-9]*[a-z0-9])?$"));
    }
  });
  return errs;
}

function validateSecurityContext(sc: SecurityContext | undefined, path: string): Errs {
  if (!sc) return [];
  const errs = validateIDs(sc, path);
  if (sc.privileged && sc.allowPrivilegeEscalation === false) {
    errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `privileged` to true'));
  }
  if (sc.capabilities?.add?.includes('CAP_SYS_ADMIN') && sc.allowPrivilegeEscalation === false) {
    errs.push(invalid(path, sc, 'cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN'));
  }
  errs.push(...oneOf(child(path, 'procMount'), sc.procMount, ['Default', 'Unmasked']));
  errs.push(...oneOf(`${child(path, 'seccompProfile')}.type`, sc.seccompProfile?.type, ['RuntimeDefault', 'Unconfined', 'Localhost']));
  return errs;
}

// ---- resources -----------------------------------------------------------------------

const STANDARD_CONTAINER_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage']);

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function isHugePages(name: string): boolean {
  return name.startsWith('hugepages-');
}

/** Native resources (but hugepages) may be requested below their limit; extended ones may not. */
function isOvercommitAllowed(name: string): boolean {
  return isNativeResource(name) && !isHugePages(name);
}

function validateResourceName(name: string, path: string): Errs {
  const errs = each(path, name, isQualifiedName(name));
  if (errs.length) return errs;
  if (!name.includes('/')) {
    if (!STANDARD_CONTAINER_RESOURCES.has(name) && !(isHugePages(name) && isHugePageSize(name))) {
      errs.push(invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNativeResource(name)) {
    if (name.startsWith('requests.') || isQualifiedName(`requests.${name}`).length > 0) {
      errs.push(invalid(path, name, "doesn't follow extended resource name standard"));
    }
  }
  return errs;
}

function isHugePageSize(name: string): boolean {
  try { return parseQuantity(name.slice('hugepages-'.length)).sign() > 0; } catch { return false; }
}

export function validateResourceRequirements(r: ResourceRequirements | undefined, path: string): Errs {
  if (!r) return [];
  const errs: Errs = [];
  const limPath = child(path, 'limits');
  const reqPath = child(path, 'requests');
  const limits = new Map<string, Quantity>();
  const check = (m: Record<string, string> | undefined, base: string, into?: Map<string, Quantity>): void => {
    for (const [name, text] of Object.entries(m ?? {})) {
      const p = key(base, name);
      errs.push(...validateResourceName(name, p));
      let q: Quantity;
      try { q = parseQuantity(text); } catch { continue; } // reported by the schema pass
      if (q.sign() < 0) errs.push(invalid(p, text, 'must be greater than or equal to 0'));
      if (!isNativeResource(name) && q.nanos % 1_000_000_000n !== 0n) errs.push(invalid(p, text, 'must be an integer'));
      into?.set(name, q);
    }
  };
  check(r.limits, limPath, limits);
  const requests = new Map<string, Quantity>();
  check(r.requests, reqPath, requests);
  for (const [name, q] of requests) {
    const limit = limits.get(name);
    if (limit) {
      if (q.cmp(limit) !== 0 && !isOvercommitAllowed(name)) {
        errs.push(invalid(reqPath, q.toString(), `must be equal to ${name} limit of ${limit.toString()}`));
      } else if (q.cmp(limit) > 0) {
        errs.push(invalid(reqPath, q.toString(), `must be less than or equal to ${name} limit of ${limit.toString()}`));
      }
    } else if (!isOvercommitAllowed(name)) {
      errs.push(required(limPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errs;
}

// ---- probes and handlers -------------------------------------------------------------

function validateHandlerActions(h: Record<string, unknown>, path: string, actions: readonly string[]): Errs {
  const errs: Errs = [];
  const set = present(h, actions);
  if (set.length === 0) errs.push(required(path, 'must specify a handler type'));
  else if (set.length > 1) errs.push(forbidden(child(path, set[1] as string), 'may not specify more than 1 handler type'));
  const httpGet = h['httpGet'] as LifecycleHandler['httpGet'];
  if (httpGet) {
    errs.push(...validatePortNumOrName(httpGet.port, child(child(path, 'httpGet'), 'port')));
    errs.push(...oneOf(child(child(path, 'httpGet'), 'scheme'), httpGet.scheme, ['HTTP', 'HTTPS']));
  }
  const tcp = h['tcpSocket'] as LifecycleHandler['tcpSocket'];
  if (tcp) errs.push(...validatePortNumOrName(tcp.port, child(child(path, 'tcpSocket'), 'port')));
  const grpc = h['grpc'] as Probe['grpc'];
  if (grpc) errs.push(...validatePortNumOrName(grpc.port, child(child(path, 'grpc'), 'port')));
  const sleep = h['sleep'] as LifecycleHandler['sleep'];
  if (sleep) errs.push(...nonNegative(child(child(path, 'sleep'), 'seconds'), sleep.seconds));
  return errs;
}

function validateProbe(p: Probe | undefined, path: string, mustSucceedOnce: boolean): Errs {
  if (!p) return [];
  const errs = validateHandlerActions(p as Record<string, unknown>, path, ['exec', 'httpGet', 'tcpSocket', 'grpc']);
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold'] as const) {
    errs.push(...nonNegative(child(path, f), p[f]));
  }
  if (p.terminationGracePeriodSeconds !== undefined && p.terminationGracePeriodSeconds <= 0) {
    errs.push(invalid(child(path, 'terminationGracePeriodSeconds'), p.terminationGracePeriodSeconds, 'must be greater than 0'));
  }
  // Liveness and startup probes succeed once; a threshold above 1 would never be reached meaningfully.
  if (mustSucceedOnce && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalid(child(path, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateLifecycle(l: Lifecycle | undefined, path: string): Errs {
  if (!l) return [];
  const errs: Errs = [];
  for (const f of ['postStart', 'preStop'] as const) {
    const h = l[f];
    if (h) errs.push(...validateHandlerActions(h as Record<string, unknown>, child(path, f), ['exec', 'httpGet', 'tcpSocket', 'sleep']));
  }
  return errs;
}

// ---- env, ports, mounts --------------------------------------------------------------

const FIELD_REF_PATHS = [
  'metadata.name', 'metadata.namespace', 'metadata.uid', 'metadata.labels', 'metadata.annotations', 'spec.nodeName',
  'spec.serviceAccountName', 'status.hostIP', 'status.hostIPs', 'status.podIP', 'status.podIPs',
];

function validateEnv(env: EnvVar[] | undefined, path: string): Errs {
  const errs: Errs = [];
  (env ?? []).forEach((e, i) => {
    const p = index(path, i);
    if (e.name) errs.push(...each(child(p, 'name'), e.name, isEnvVarName(e.name)));
    const from = e.valueFrom;
    if (!from) return;
    const vp = child(p, 'valueFrom');
    const sources = present(from, ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef']);
    if (sources.length === 0) errs.push(invalid(vp, '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
    else if (sources.length > 1) errs.push(invalid(vp, '', 'may not have more than one field specified at a time'));
    if (e.value) errs.push(invalid(vp, '', 'may not be specified when `value` is not empty'));
    const fp = from.fieldRef?.fieldPath;
    if (fp !== undefined) {
      const base = fp.replace(/\[.*\]$/, '');
      const subscripted = fp !== base;
      if (!FIELD_REF_PATHS.includes(base) || (subscripted && base !== 'metadata.labels' && base !== 'metadata.annotations')) {
        errs.push(notSupported(child(child(vp, 'fieldRef'), 'fieldPath'), fp, FIELD_REF_PATHS));
      }
    }
    for (const ref of ['configMapKeyRef', 'secretKeyRef'] as const) {
      const k = from[ref]?.key;
      if (k) errs.push(...each(child(child(vp, ref), 'key'), k, isConfigMapKey(k)));
    }
    const res = from.resourceFieldRef?.resource;
    if (res !== undefined && !/^(limits|requests)\.(cpu|memory|ephemeral-storage|hugepages-.+)$/.test(res)) {
      errs.push(notSupported(child(child(vp, 'resourceFieldRef'), 'resource'), res, ['limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage']));
    }
  });
  return errs;
}

function validateEnvFrom(envFrom: EnvFromSource[] | undefined, path: string): Errs {
  const errs: Errs = [];
  (envFrom ?? []).forEach((e, i) => {
    const p = index(path, i);
    const set = present(e, ['configMapRef', 'secretRef']);
    if (set.length === 0) errs.push(invalid(p, '', 'must specify one of: `configMapRef` or `secretRef`'));
    if (set.length > 1) errs.push(invalid(p, '', 'may not have more than one field specified at a time'));
    if (e.prefix) errs.push(...each(child(p, 'prefix'), e.prefix, isEnvVarName(e.prefix)));
  });
  return errs;
}

function validatePorts(ports: ContainerPort[] | undefined, path: string): Errs {
  const errs: Errs = [];
  const names = new Set<string>();
  (ports ?? []).forEach((port, i) => {
    const p = index(path, i);
    if (port.name) {
      errs.push(...each(child(p, 'name'), port.name, isValidPortName(port.name)));
      if (names.has(port.name)) errs.push(duplicate(child(p, 'name'), port.name));
      names.add(port.name);
    }
    if (port.containerPort === undefined || port.containerPort === 0) errs.push(required(child(p, 'containerPort')));
    else errs.push(...each(child(p, 'containerPort'), port.containerPort, isValidPortNum(port.containerPort)));
    if (port.hostPort) errs.push(...each(child(p, 'hostPort'), port.hostPort, isValidPortNum(port.hostPort)));
    if (port.protocol === undefined || port.protocol === '') errs.push(required(child(p, 'protocol')));
    else errs.push(...oneOf(child(p, 'protocol'), port.protocol, PROTOCOLS));
    if (port.hostIP) errs.push(...each(child(p, 'hostIP'), port.hostIP, isValidIP(port.hostIP)));
  });
  return errs;
}

function validateVolumeMounts(mounts: VolumeMount[] | undefined, path: string, volumes: ReadonlySet<string>): Errs {
  const errs: Errs = [];
  const paths = new Set<string>();
  (mounts ?? []).forEach((m, i) => {
    const p = index(path, i);
    if (m.name && !volumes.has(m.name)) errs.push(invalid(child(p, 'name'), m.name, 'not found: no volume of this name in spec.volumes'));
    if (m.mountPath) {
      if (paths.has(m.mountPath)) errs.push(invalid(child(p, 'mountPath'), m.mountPath, 'must be unique'));
      paths.add(m.mountPath);
    }
    for (const f of ['subPath', 'subPathExpr'] as const) {
      const sp = m[f];
      if (!sp) continue;
      if (sp.startsWith('/')) errs.push(invalid(child(p, f), sp, 'must be a relative path'));
      if (sp.split('/').includes('..')) errs.push(invalid(child(p, f), sp, "must not contain '..'"));
    }
    if (m.subPath && m.subPathExpr) errs.push(invalid(child(p, 'subPathExpr'), m.subPathExpr, 'subPathExpr and subPath are mutually exclusive'));
    errs.push(...oneOf(child(p, 'mountPropagation'), m.mountPropagation, ['None', 'HostToContainer', 'Bidirectional']));
  });
  return errs;
}

// ---- containers ----------------------------------------------------------------------

type ContainerKind = 'container' | 'init' | 'ephemeral';

interface ContainerContext {
  kind: ContainerKind;
  volumes: ReadonlySet<string>;
  hostNetwork: boolean;
}

export function validateContainer(c: Container, path: string, ctx: ContainerContext): Errs {
  const errs: Errs = [];
  const p = (f: string): string => child(path, f);
  if (!c.name) errs.push(required(p('name')));
  else errs.push(...each(p('name'), c.name, isDNS1123Label(c.name)));
  if (!c.image) errs.push(required(p('image')));
  else if (c.image.trim() !== c.image) errs.push(invalid(p('image'), c.image, 'must not have leading or trailing whitespace'));
  errs.push(...oneOf(p('imagePullPolicy'), c.imagePullPolicy, PULL_POLICIES));
  errs.push(...oneOf(p('terminationMessagePolicy'), c.terminationMessagePolicy, ['File', 'FallbackToLogsOnError']));
  errs.push(...validatePorts(c.ports, p('ports')));
  if (ctx.hostNetwork) {
    (c.ports ?? []).forEach((port, i) => {
      if (port.hostPort !== undefined && port.hostPort !== port.containerPort) {
        errs.push(invalid(child(index(p('ports'), i), 'hostPort'), port.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
      }
    });
  }
  errs.push(...validateEnv(c.env, p('env')));
  errs.push(...validateEnvFrom(c.envFrom, p('envFrom')));
  errs.push(...validateVolumeMounts(c.volumeMounts, p('volumeMounts'), ctx.volumes));
  errs.push(...validateResourceRequirements(c.resources, p('resources')));
  errs.push(...validateSecurityContext(c.securityContext, p('securityContext')));
  errs.push(...validateLifecycle(c.lifecycle, p('lifecycle')));
  errs.push(...validateProbe(c.livenessProbe, p('livenessProbe'), true));
  errs.push(...validateProbe(c.readinessProbe, p('readinessProbe'), false));
  errs.push(...validateProbe(c.startupProbe, p('startupProbe'), true));
  (c.resizePolicy ?? []).forEach((rp, i) => {
    errs.push(...oneOf(child(index(p('resizePolicy'), i), 'resourceName'), rp.resourceName, ['cpu', 'memory']));
    errs.push(...oneOf(child(index(p('resizePolicy'), i), 'restartPolicy'), rp.restartPolicy, ['NotRequired', 'RestartContainer']));
  });

  const sidecar = ctx.kind === 'init' && c.restartPolicy === 'Always';
  switch (ctx.kind) {
    case 'container':
      if (c.restartPolicy !== undefined) errs.push(forbidden(p('restartPolicy'), 'may not be set for non-init containers'));
      break;
    case 'init':
      if (c.restartPolicy !== undefined && c.restartPolicy !== 'Always') errs.push(notSupported(p('restartPolicy'), c.restartPolicy, ['Always']));
      if (!sidecar) {
        for (const f of ['lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'] as const) {
          if (c[f] !== undefined) errs.push(forbidden(p(f), 'may not be set for init containers without restartPolicy=Always'));
        }
      }
      break;
    case 'ephemeral':
      for (const f of ['ports', 'lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe', 'resources', 'resizePolicy', 'restartPolicy'] as const) {
        if (c[f] !== undefined) errs.push(forbidden(p(f), 'cannot be set for an Ephemeral Container'));
      }
      break;
  }
  return errs;
}

// ---- volumes -------------------------------------------------------------------------

function validateVolumes(volumes: Volume[] | undefined, path: string): { errs: Errs; names: Set<string> } {
  const errs: Errs = [];
  const names = new Set<string>();
  (volumes ?? []).forEach((v, i) => {
    const p = index(path, i);
    if (v.name) {
      errs.push(...each(child(p, 'name'), v.name, isDNS1123Label(v.name)));
      if (names.has(v.name)) errs.push(duplicate(child(p, 'name'), v.name));
      names.add(v.name);
    }
    const sources = present(v, VOLUME_SOURCE_FIELDS);
    if (sources.length === 0) errs.push(required(p, 'must specify a volume type'));
    else if (sources.length > 1) errs.push(forbidden(child(p, sources[1] as string), 'may not specify more than 1 volume type'));
    if (v.hostPath) {
      errs.push(...oneOf(child(child(p, 'hostPath'), 'type'), v.hostPath.type, ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice']));
    }
    if (v.emptyDir) {
      errs.push(...oneOf(child(child(p, 'emptyDir'), 'medium'), v.emptyDir.medium, ['', 'Memory', 'HugePages']));
      const size = v.emptyDir.sizeLimit;
      if (size !== undefined && parseQuantity(size).sign() < 0) errs.push(invalid(child(child(p, 'emptyDir'), 'sizeLimit'), size, 'must be greater than or equal to 0'));
    }
    if (v.configMap && !v.configMap.name) errs.push(required(child(child(p, 'configMap'), 'name')));
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) errs.push(required(child(child(p, 'persistentVolumeClaim'), 'claimName')));
    if (v.secret && !v.secret.secretName) errs.push(required(child(child(p, 'secret'), 'secretName')));
    for (const src of ['configMap', 'secret'] as const) {
      (v[src]?.items ?? []).forEach((item, j) => {
        const ip = index(child(child(p, src), 'items'), j);
        errs.push(...each(child(ip, 'key'), item.key, isConfigMapKey(item.key)));
        if (item.path.startsWith('/')) errs.push(invalid(child(ip, 'path'), item.path, 'must be a relative path'));
        if (item.path.split('/').includes('..')) errs.push(invalid(child(ip, 'path'), item.path, "must not contain '..'"));
      });
    }
    for (const mode of ['configMap', 'secret', 'downwardAPI', 'projected'] as const) {
      const m = v[mode]?.defaultMode;
      if (m !== undefined && (m < 0 || m > 0o777)) {
        errs.push(invalid(child(child(p, mode), 'defaultMode'), m, 'must be a number between 0 and 0777 (octal), both inclusive'));
      }
    }
    (v.projected?.sources ?? []).forEach((s, j) => {
      const n = present(s, ['clusterTrustBundle', 'configMap', 'downwardAPI', 'secret', 'serviceAccountToken']).length;
      const sp = index(child(child(p, 'projected'), 'sources'), j);
      if (n === 0) errs.push(required(sp, 'must specify one of: `configMap`, `downwardAPI`, `secret`, `serviceAccountToken` or `clusterTrustBundle`'));
      if (n > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
    });
  });
  return { errs, names };
}

// ---- scheduling constraints ----------------------------------------------------------

export function validateTolerations(tolerations: Toleration[] | undefined, path: string): Errs {
  const errs: Errs = [];
  (tolerations ?? []).forEach((t, i) => {
    const p = index(path, i);
    if (t.key) errs.push(...each(child(p, 'key'), t.key, isQualifiedName(t.key)));
    if (!t.key && t.operator !== 'Exists') {
      errs.push(invalid(child(p, 'operator'), t.operator ?? '', 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') {
      errs.push(invalid(child(p, 'effect'), t.effect ?? '', "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (t.operator) {
      case undefined:
      case '':
      case 'Equal': {
        const msgs = isValidLabelValue(t.value ?? '');
        if (msgs.length) errs.push(invalid(child(p, 'operator'), t.value, msgs.join(';')));
        break;
      }
      case 'Exists':
        if (t.value) errs.push(invalid(child(p, 'operator'), t, "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(p, 'operator'), t.operator, ['Equal', 'Exists']));
    }
    if (t.effect) errs.push(...oneOf(child(p, 'effect'), t.effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateNodeSelectorRequirement(r: NodeSelectorRequirement, path: string, field: boolean): Errs {
  const errs: Errs = [];
  const n = r.values?.length ?? 0;
  switch (r.operator) {
    case 'In':
    case 'NotIn':
      if (n === 0) errs.push(required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      else if (field && n !== 1) errs.push(required(child(path, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
      break;
    case 'Exists':
    case 'DoesNotExist':
      if (field) errs.push(invalid(child(path, 'operator'), r.operator, 'not a valid selector operator'));
      else if (n > 0) errs.push(forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt':
    case 'Lt':
      if (field) errs.push(invalid(child(path, 'operator'), r.operator, 'not a valid selector operator'));
      else if (n !== 1 || !/^-?\d+$/.test(r.values?.[0] ?? '')) errs.push(required(child(path, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(child(path, 'operator'), r.operator, 'not a valid selector operator'));
  }
  if (field) {
    if (r.key !== 'metadata.name') errs.push(invalid(child(path, 'key'), r.key, 'not a valid field selector key'));
  } else if (r.key) {
    errs.push(...each(child(path, 'key'), r.key, isQualifiedName(r.key)));
  }
  return errs;
}

export function validateNodeSelectorTerm(term: NodeSelectorTerm, path: string): Errs {
  const errs: Errs = [];
  (term.matchExpressions ?? []).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(r, index(child(path, 'matchExpressions'), j), false)));
  (term.matchFields ?? []).forEach((r, j) => errs.push(...validateNodeSelectorRequirement(r, index(child(path, 'matchFields'), j), true)));
  return errs;
}

function validateWeight(weight: number, path: string): Errs {
  return weight < 1 || weight > 100 ? [invalid(path, weight, 'must be in the range 1-100')] : [];
}

// Kubernetes' validateLabelKeys: matchLabelKeys / mismatchLabelKeys need a labelSelector and
// must be label names.
function validateLabelKeys(keys: readonly string[] | undefined, selector: unknown, path: string): Errs {
  if (!keys || keys.length === 0) return [];
  if (!selector) return [forbidden(path, 'must not be specified when labelSelector is not set')];
  return keys.flatMap((k, i) => each(index(path, i), k, isQualifiedName(k)));
}

// After Kubernetes' validatePodAffinityTerm, in its order and with its paths (the namespaces
// errors are reported on "namespace", as Kubernetes does).
function validatePodAffinityTerm(t: PodAffinityTerm, path: string): Errs {
  const errs: Errs = [];
  errs.push(...validateLabelSelector(t.labelSelector, child(path, 'labelSelector')));
  errs.push(...validateLabelSelector(t.namespaceSelector, child(path, 'namespaceSelector')));
  (t.namespaces ?? []).forEach((ns) => errs.push(...each(child(path, 'namespace'), ns, isDNS1123Label(ns))));
  errs.push(...validateLabelKeys(t.matchLabelKeys, t.labelSelector, child(path, 'matchLabelKeys')));
  errs.push(...validateLabelKeys(t.mismatchLabelKeys, t.labelSelector, child(path, 'mismatchLabelKeys')));
  const mismatch = new Set(t.mismatchLabelKeys ?? []);
  (t.matchLabelKeys ?? []).forEach((k, i) => {
    if (mismatch.has(k)) errs.push(invalid(index(child(path, 'matchLabelKeys'), i), k, 'exists in both matchLabelKeys and mismatchLabelKeys'));
  });
  const topologyKey = t.topologyKey ?? '';
  if (!topologyKey) errs.push(required(child(path, 'topologyKey'), 'can not be empty'));
  errs.push(...each(child(path, 'topologyKey'), topologyKey, isQualifiedName(topologyKey)));
  return errs;
}

function validateAffinity(a: Affinity | undefined, path: string): Errs {
  if (!a) return [];
  const errs: Errs = [];
  const na = a.nodeAffinity;
  if (na) {
    const np = child(path, 'nodeAffinity');
    const req = na.requiredDuringSchedulingIgnoredDuringExecution;
    if (req) {
      const tp = child(child(np, 'requiredDuringSchedulingIgnoredDuringExecution'), 'nodeSelectorTerms');
      if ((req.nodeSelectorTerms ?? []).length === 0) errs.push(required(tp, 'must have at least one node selector term'));
      (req.nodeSelectorTerms ?? []).forEach((term, i) => errs.push(...validateNodeSelectorTerm(term, index(tp, i))));
    }
    (na.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((pref, i) => {
      const pp = index(child(np, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      errs.push(...validateWeight(pref.weight, child(pp, 'weight')));
      errs.push(...validateNodeSelectorTerm(pref.preference, child(pp, 'preference')));
    });
  }
  for (const kind of ['podAffinity', 'podAntiAffinity'] as const) {
    const pa = a[kind];
    if (!pa) continue;
    const kp = child(path, kind);
    (pa.requiredDuringSchedulingIgnoredDuringExecution ?? []).forEach((t, i) => {
      errs.push(...validatePodAffinityTerm(t, index(child(kp, 'requiredDuringSchedulingIgnoredDuringExecution'), i)));
    });
    (pa.preferredDuringSchedulingIgnoredDuringExecution ?? []).forEach((w, i) => {
      const wp = index(child(kp, 'preferredDuringSchedulingIgnoredDuringExecution'), i);
      errs.push(...validateWeight(w.weight, child(wp, 'weight')));
      errs.push(...validatePodAffinityTerm(w.podAffinityTerm, child(wp, 'podAffinityTerm')));
    });
  }
  return errs;
}

// After Kubernetes' validateTopologySpreadConstraints, in its order. A repeated
// {topologyKey, whenUnsatisfiable} pair is reported on the first of the two.
function validateTopologySpread(constraints: TopologySpreadConstraint[] | undefined, path: string): Errs {
  const errs: Errs = [];
  const list = constraints ?? [];
  list.forEach((c, i) => {
    const p = index(path, i);
    const maxSkew = c.maxSkew ?? 0;
    if (maxSkew <= 0) errs.push(invalid(child(p, 'maxSkew'), maxSkew, 'must be greater than zero'));
    if (!c.topologyKey) errs.push(required(child(p, 'topologyKey'), 'can not be empty'));
    const when = c.whenUnsatisfiable ?? '';
    errs.push(...oneOf(child(p, 'whenUnsatisfiable'), when, ['DoNotSchedule', 'ScheduleAnyway']));
    if (list.slice(i + 1).some((o) => o.topologyKey === c.topologyKey && o.whenUnsatisfiable === c.whenUnsatisfiable)) {
      errs.push(duplicate(child(p, '{topologyKey, whenUnsatisfiable}'), `{${c.topologyKey}, ${when}}`));
    }
    if (c.minDomains !== undefined && c.minDomains !== null) {
      if (c.minDomains <= 0) errs.push(invalid(child(p, 'minDomains'), c.minDomains, 'must be greater than zero'));
      if (when !== 'DoNotSchedule') errs.push(invalid(child(p, 'minDomains'), c.minDomains, `can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ${when}`));
    }
    errs.push(...oneOf(child(p, 'nodeAffinityPolicy'), c.nodeAffinityPolicy, ['Honor', 'Ignore']));
    errs.push(...oneOf(child(p, 'nodeTaintsPolicy'), c.nodeTaintsPolicy, ['Honor', 'Ignore']));
    const keysPath = child(p, 'matchLabelKeys');
    const selectorKeys = new Set([...Object.keys(c.labelSelector?.matchLabels ?? {}), ...(c.labelSelector?.matchExpressions ?? []).map((e) => e.key)]);
    if ((c.matchLabelKeys ?? []).length > 0 && !c.labelSelector) errs.push(forbidden(keysPath, 'must not be specified when labelSelector is not set'));
    (c.matchLabelKeys ?? []).forEach((k, j) => {
      errs.push(...each(index(keysPath, j), k, isQualifiedName(k)));
      if (selectorKeys.has(k)) errs.push(invalid(index(keysPath, j), k, 'exists in both matchLabelKeys and labelSelector'));
    });
    errs.push(...validateLabelSelector(c.labelSelector, child(p, 'labelSelector')));
  });
  return errs;
}

// ---- the spec ------------------------------------------------------------------------

export function validatePodSpec(spec: PodSpec | undefined, path: string): Errs {
  const errs: Errs = [];
  const p = (f: string): string => child(path, f);
  if (!spec) return [required(path)];
  const { errs: volErrs, names: volumes } = validateVolumes(spec.volumes, p('volumes'));
  errs.push(...volErrs);

  if (!spec.containers || spec.containers.length === 0) errs.push(required(p('containers')));
  const hostNetwork = spec.hostNetwork === true;
  const names = new Set<string>();
  const lists: Array<[Container[] | undefined, string, ContainerKind]> = [
    [spec.initContainers, 'initContainers', 'init'],
    [spec.containers, 'containers', 'container'],
    [spec.ephemeralContainers as Container[] | undefined, 'ephemeralContainers', 'ephemeral'],
  ];
  for (const [list, field, kind] of lists) {
    (list ?? []).forEach((c, i) => {
      const cp = index(p(field), i);
      errs.push(...validateContainer(c, cp, { kind, volumes, hostNetwork }));
      if (c.name) {
        if (names.has(c.name)) errs.push(duplicate(child(cp, 'name'), c.name));
        names.add(c.name);
      }
    });
  }

  errs.push(...oneOf(p('restartPolicy'), spec.restartPolicy, RESTART_POLICIES));
  errs.push(...oneOf(p('dnsPolicy'), spec.dnsPolicy, DNS_POLICIES));
  if (spec.dnsPolicy === 'None' && !spec.dnsConfig) errs.push(required(p('dnsConfig'), 'must provide `dnsConfig` when `dnsPolicy` is None'));
  const ns = spec.dnsConfig?.nameservers ?? [];
  if (ns.length > 3) errs.push(invalid(child(p('dnsConfig'), 'nameservers'), ns, 'must not have more than 3 nameservers'));
  ns.forEach((ip, i) => errs.push(...each(index(child(p('dnsConfig'), 'nameservers'), i), ip, isValidIP(ip))));
  const searches = spec.dnsConfig?.searches ?? [];
  if (searches.length > 32) errs.push(invalid(child(p('dnsConfig'), 'searches'), searches, 'must not have more than 32 search paths'));

  errs.push(...validateLabels(spec.nodeSelector, p('nodeSelector')));
  for (const f of ['serviceAccountName', 'nodeName', 'schedulerName', 'priorityClassName', 'runtimeClassName'] as const) {
    const v = spec[f];
    if (v) errs.push(...each(p(f), v, isDNS1123Subdomain(v)));
  }
  for (const f of ['hostname', 'subdomain'] as const) {
    const v = spec[f];
    if (v) errs.push(...each(p(f), v, isDNS1123Label(v)));
  }
  if (spec.activeDeadlineSeconds !== undefined && (spec.activeDeadlineSeconds < 1 || spec.activeDeadlineSeconds > MAX_INT32)) {
    errs.push(invalid(p('activeDeadlineSeconds'), spec.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  }
  errs.push(...nonNegative(p('terminationGracePeriodSeconds'), spec.terminationGracePeriodSeconds));
  errs.push(...validatePodSecurityContext(spec.securityContext, p('securityContext')));
  errs.push(...validateTolerations(spec.tolerations, p('tolerations')));
  errs.push(...validateAffinity(spec.affinity, p('affinity')));
  errs.push(...validateTopologySpread(spec.topologySpreadConstraints, p('topologySpreadConstraints')));
  errs.push(...oneOf(p('preemptionPolicy'), spec.preemptionPolicy, ['PreemptLowerPriority', 'Never']));
  (spec.hostAliases ?? []).forEach((h, i) => {
    if (h.ip) errs.push(...each(child(index(p('hostAliases'), i), 'ip'), h.ip, isValidIP(h.ip)));
  });
  (spec.imagePullSecrets ?? []).forEach((s, i) => {
    if (!s.name) errs.push(required(child(index(p('imagePullSecrets'), i), 'name')));
  });
  (spec.readinessGates ?? []).forEach((g, i) => {
    errs.push(...each(child(index(p('readinessGates'), i), 'conditionType'), g.conditionType, isQualifiedName(g.conditionType)));
  });
  const gates = new Set<string>();
  (spec.schedulingGates ?? []).forEach((g, i) => {
    const gp = child(index(p('schedulingGates'), i), 'name');
    errs.push(...each(gp, g.name, isQualifiedName(g.name)));
    if (gates.has(g.name)) errs.push(duplicate(gp, g.name));
    gates.add(g.name);
  });
  for (const [name, q] of Object.entries(spec.overhead ?? {})) {
    if (parseQuantity(q).sign() < 0) errs.push(invalid(key(p('overhead'), name), q, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validatePod(pod: Pod): Errs {
  return validatePodSpec(pod.spec, 'spec');
}

/**
 * Conditions as status writers set them: a type that is a qualified name, and a status of
 * True, False or Unknown. (Kubernetes does not insist on unique types; neither do we.)
 */
export function validateConditions(conditions: ReadonlyArray<{ type: string; status: string }> | undefined, path: string): Errs {
  const errs: Errs = [];
  (conditions ?? []).forEach((c, i) => {
    const p = index(path, i);
    if (!c.type) errs.push(required(child(p, 'type')));
    else errs.push(...each(child(p, 'type'), c.type, isQualifiedName(c.type)));
    errs.push(...oneOf(child(p, 'status'), c.status, ['True', 'False', 'Unknown']));
  });
  return errs;
}

export function validatePodStatus(pod: Pod, old: Pod | undefined): Errs {
  const s = pod.status;
  if (!s) return [];
  const errs: Errs = [];
  errs.push(...oneOf('status.phase', s.phase, POD_PHASES));
  const oldPhase = old?.status?.phase;
  // A finished pod stays finished: its containers are gone and its controller has moved on.
  if ((oldPhase === 'Succeeded' || oldPhase === 'Failed') && s.phase !== oldPhase) {
    errs.push(forbidden('status.phase', `may not change from terminal phase ${oldPhase} to ${s.phase ?? '""'}`));
  }
  errs.push(...oneOf('status.qosClass', s.qosClass, ['Guaranteed', 'Burstable', 'BestEffort']));
  errs.push(...validateConditions(s.conditions, 'status.conditions'));
  for (const f of ['podIP', 'hostIP'] as const) {
    const v = s[f];
    if (v) errs.push(...each(`status.${f}`, v, isValidIP(v)));
  }
  (s.podIPs ?? []).forEach((ip, i) => {
    if (ip.ip) errs.push(...each(child(index('status.podIPs', i), 'ip'), ip.ip, isValidIP(ip.ip)));
  });
  if (s.nominatedNodeName) errs.push(...each('status.nominatedNodeName', s.nominatedNodeName, isDNS1123Subdomain(s.nominatedNodeName)));
  for (const f of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses'] as const) {
    (s[f] ?? []).forEach((cs, i) => {
      const p = index(`status.${f}`, i);
      if (!cs.name) errs.push(required(child(p, 'name')));
      errs.push(...nonNegative(child(p, 'restartCount'), cs.restartCount));
    });
  }
  return errs;
}
