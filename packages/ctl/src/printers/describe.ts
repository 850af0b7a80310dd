// `tctl describe` text for each kind, as kubectl describe prints it: identity and labels,
// the spec in brief, status and conditions, related objects, and the object's events.
// Pure: the command fetches what is related (events, pods on a node, a deployment's
// replica sets) and passes it in.
import {
  LAST_APPLIED_ANNOTATION, age, eventTime, formatSelector, formatServiceEndpoints, labelsOrNone, nodeRoles, type ConfigMap, type Container, type ContainerState, type ContainerStatus, type Deployment, type EndpointSlice, type Event,
  type KubeObject, type Lease, type ObjectMeta, type Namespace, type Node, type Pod, type PodTemplateSpec, type ReplicaSet, type Secret, type Service,
  type DaemonSet, type ReplicationController, type Job, type CronJob, type StatefulSet, jobDuration,
  accessModesString, type PersistentVolumeClaim,
} from '@tugboat/api';
import { DescribeWriter } from './describe-writer.js';
import { formatScaleTargetRef, type HorizontalPodAutoscaler } from '@tugboat/api';
import { formatCpu, formatMemory, isActivePod, parseBytes, parseCpuMilli, percent, podAmounts } from './resources.js';
import { toYaml } from './output.js';

export interface Related {
  events: readonly Event[];
  /** Pods on the node (node), or owned by the replica set, replication controller or daemon set. */
  pods?: readonly Pod[];
  /** The deployment's replica sets. */
  replicaSets?: readonly ReplicaSet[];
  /** The node's heartbeat lease. */
  lease?: Lease | undefined;
  /** The Service's EndpointSlices (label kubernetes.io/service-name). */
  endpointSlices?: readonly EndpointSlice[];
}

function header(w: DescribeWriter, obj: { metadata?: ObjectMeta | undefined }, now: number, namespaced: boolean): void {
  const m = obj.metadata ?? {};
  w.field(0, 'Name', m.name);
  if (namespaced) w.field(0, 'Namespace', m.namespace);
  w.map(0, 'Labels', m.labels);
  const annotations = { ...(m.annotations ?? {}) };
  // kubectl leaves out the last-applied manifest: it is long and says nothing new.
  delete annotations[LAST_APPLIED_ANNOTATION];
  w.map(0, 'Annotations', annotations, ': ');
  w.field(0, 'CreationTimestamp', m.creationTimestamp ? `${m.creationTimestamp} (${age(m.creationTimestamp, now)} ago)` : undefined);
  if (m.deletionTimestamp) w.field(0, 'DeletionTimestamp', m.deletionTimestamp);
  const controller = (m.ownerReferences ?? []).find((o) => o.controller);
  if (controller) w.field(0, 'Controlled By', `${controller.kind}/${controller.name}`);
}

export function describeEvents(w: DescribeWriter, events: readonly Event[], now: number): void {
  if (events.length === 0) {
    w.field(0, 'Events', '<none>');
    return;
  }
  w.section(0, 'Events');
  const sorted = [...events].sort((a, b) => eventTime(a) - eventTime(b));
  w.table(1, ['Type', 'Reason', 'Age', 'From', 'Message'], sorted.map((e) => {
    const last = age(new Date(eventTime(e)).toISOString(), now);
    const count = e.count ?? 1;
    const first = e.firstTimestamp ?? e.metadata?.creationTimestamp;
    const ageText = count > 1 && first ? `${last} (x${count} over ${age(first, now)})` : last;
    return [e.type ?? '', e.reason ?? '', ageText, e.source?.component ?? e.reportingComponent ?? '', (e.message ?? '').replace(/\s*\n\s*/g, ' ')];
  }));
}

function stateLines(w: DescribeWriter, level: number, label: string, s: ContainerState | undefined): void {
  if (s?.running) {
    w.field(level, label, 'Running');
    w.field(level + 1, 'Started', s.running.startedAt);
  } else if (s?.waiting) {
    w.field(level, label, 'Waiting');
    w.field(level + 1, 'Reason', s.waiting.reason);
    if (s.waiting.message) w.field(level + 1, 'Message', s.waiting.message);
  } else if (s?.terminated) {
    w.field(level, label, 'Terminated');
    w.field(level + 1, 'Reason', s.terminated.reason);
    if (s.terminated.message) w.field(level + 1, 'Message', s.terminated.message);
    w.field(level + 1, 'Exit Code', s.terminated.exitCode);
    if (s.terminated.signal) w.field(level + 1, 'Signal', s.terminated.signal);
    w.field(level + 1, 'Started', s.terminated.startedAt);
    w.field(level + 1, 'Finished', s.terminated.finishedAt);
  } else {
    w.field(level, label, level === 2 && label === 'Last State' ? '<none>' : 'Waiting');
  }
}

function resourceMap(r: Record<string, unknown> | undefined): string | undefined {
  const entries = Object.entries(r ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}: ${String(v)}`).join('\n') : undefined;
}

function containers(w: DescribeWriter, level: number, label: string, list: readonly Container[] | undefined, statuses: readonly ContainerStatus[] = []): void {
  if (!list?.length) return;
  w.section(level, label);
  for (const c of list) {
    const st = statuses.find((s) => s.name === c.name);
    w.section(level + 1, c.name);
    if (st?.containerID) w.field(level + 2, 'Container ID', st.containerID);
    w.field(level + 2, 'Image', c.image);
    const ports = (c.ports ?? []).map((p) => `${p.containerPort}/${p.protocol ?? 'TCP'}`).join(', ');
    w.field(level + 2, 'Port', ports || undefined);
    if (c.command?.length) w.field(level + 2, 'Command', c.command.join('\n'));
    if (c.args?.length) w.field(level + 2, 'Args', c.args.join('\n'));
    if (statuses.length || st) {
      stateLines(w, level + 2, 'State', st?.state);
      if (st?.lastState && Object.keys(st.lastState).length) stateLines(w, level + 2, 'Last State', st.lastState);
      w.field(level + 2, 'Ready', st?.ready ? 'True' : 'False');
      w.field(level + 2, 'Restart Count', st?.restartCount ?? 0);
    }
    const limits = resourceMap(c.resources?.limits);
    if (limits) w.field(level + 2, 'Limits', limits);
    const requests = resourceMap(c.resources?.requests);
    if (requests) w.field(level + 2, 'Requests', requests);
    const env = (c.env ?? []).map((e) => `${e.name}: ${e.value ?? (e.valueFrom ? '(from a reference)' : '')}`);
    w.field(level + 2, 'Environment', env.length ? env.join('\n') : '<none>');
    if (c.workingDir) w.field(level + 2, 'Working Dir', c.workingDir);
  }
}

function podTemplate(w: DescribeWriter, t: PodTemplateSpec | undefined): void {
  w.section(0, 'Pod Template');
  w.map(1, 'Labels', t?.metadata?.labels);
  containers(w, 1, 'Containers', t?.spec?.containers);
  if (t?.spec?.nodeSelector && Object.keys(t.spec.nodeSelector).length) w.map(1, 'Node-Selectors', t.spec.nodeSelector);
}

function describePod(pod: Pod, rel: Related, now: number): string {
  const w = new DescribeWriter();
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const m = pod.metadata ?? {};
  w.field(0, 'Name', m.name);
  w.field(0, 'Namespace', m.namespace);
  w.field(0, 'Priority', spec.priority ?? 0);
  w.field(0, 'Service Account', spec.serviceAccountName);
  w.field(0, 'Node', spec.nodeName ? `${spec.nodeName}${status.hostIP ? `/${status.hostIP}` : ''}` : undefined);
  w.field(0, 'Start Time', status.startTime);
  w.map(0, 'Labels', m.labels);
  const annotations = { ...(m.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  w.map(0, 'Annotations', annotations, ': ');
  w.field(0, 'Status', m.deletionTimestamp ? `Terminating (lasts ${age(m.deletionTimestamp, now)})` : status.phase ?? 'Pending');
  if (m.deletionTimestamp) w.field(0, 'Termination Grace Period', `${m.deletionGracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30}s`);
  if (status.reason) w.field(0, 'Reason', status.reason);
  if (status.message) w.field(0, 'Message', status.message);
  w.field(0, 'IP', status.podIP);
  const controller = (m.ownerReferences ?? []).find((o) => o.controller);
  if (controller) w.field(0, 'Controlled By', `${controller.kind}/${controller.name}`);
  containers(w, 0, 'Init Containers', spec.initContainers, status.initContainerStatuses);
  containers(w, 0, 'Containers', spec.containers, status.containerStatuses ?? []);
  const conditions = status.conditions ?? [];
  if (conditions.length) {
    w.section(0, 'Conditions');
    w.table(1, ['Type', 'Status'], conditions.map((c) => [c.type, c.status]));
  }
  w.field(0, 'QoS Class', status.qosClass);
  w.map(0, 'Node-Selectors', spec.nodeSelector);
  const tolerations = (spec.tolerations ?? []).map((t) => {
    const kv = t.key ? `${t.key}${t.operator === 'Exists' ? '' : `=${t.value ?? ''}`}` : '';
    return `${kv}${t.effect ? `:${t.effect}` : ''}${t.operator === 'Exists' && !t.key ? 'op=Exists' : ''}${t.tolerationSeconds !== undefined ? ` for ${t.tolerationSeconds}s` : ''}`;
  });
  w.field(0, 'Tolerations', tolerations.length ? tolerations.join('\n') : '<none>');
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeNode(node: Node, rel: Related, now: number): string {
  const w = new DescribeWriter();
  const m = node.metadata ?? {};
  const status = node.status ?? {};
  w.field(0, 'Name', m.name);
  w.field(0, 'Roles', nodeRoles(node));
  w.map(0, 'Labels', m.labels);
  const annotations = { ...(m.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  w.map(0, 'Annotations', annotations, ': ');
  w.field(0, 'CreationTimestamp', m.creationTimestamp);
  const taints = (node.spec?.taints ?? []).map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`);
  w.field(0, 'Taints', taints.length ? taints.join('\n') : '<none>');
  w.field(0, 'Unschedulable', node.spec?.unschedulable ? 'true' : 'false');
  w.section(0, 'Lease');
  w.field(1, 'HolderIdentity', rel.lease?.spec?.holderIdentity);
  w.field(1, 'AcquireTime', rel.lease?.spec?.acquireTime);
  w.field(1, 'RenewTime', rel.lease?.spec?.renewTime);
  const conds = status.conditions ?? [];
  w.section(0, 'Conditions');
  w.table(1, ['Type', 'Status', 'LastHeartbeatTime', 'LastTransitionTime', 'Reason', 'Message'], conds.map((c) => [c.type, c.status, c.lastHeartbeatTime ?? '', c.lastTransitionTime ?? '', c.reason ?? '', c.message ?? '']));
  w.section(0, 'Addresses');
  for (const a of status.addresses ?? []) w.field(1, a.type, a.address);
  const capacity = status.capacity ?? {};
  const allocatable = status.allocatable ?? {};
  if (Object.keys(capacity).length) { w.section(0, 'Capacity'); for (const [k, v] of Object.entries(capacity)) w.field(1, k, String(v)); }
  if (Object.keys(allocatable).length) { w.section(0, 'Allocatable'); for (const [k, v] of Object.entries(allocatable)) w.field(1, k, String(v)); }
  const info = status.nodeInfo;
  if (info) {
    w.section(0, 'System Info');
    w.field(1, 'Machine ID', info.machineID);
    w.field(1, 'Boot ID', info.bootID);
    w.field(1, 'Kernel Version', info.kernelVersion);
    w.field(1, 'OS Image', info.osImage);
    w.field(1, 'Operating System', info.operatingSystem);
    w.field(1, 'Architecture', info.architecture);
    w.field(1, 'Container Runtime Version', info.containerRuntimeVersion);
    w.field(1, 'Kubelet Version', info.kubeletVersion);
  }
  const pods = (rel.pods ?? []).filter(isActivePod);
  const allocCpu = parseCpuMilli(allocatable['cpu']);
  const allocMem = parseBytes(allocatable['memory']);
  w.raw(0, `Non-terminated Pods:  (${pods.length} in total)`);
  const rows = pods.map((p) => {
    const req = podAmounts(p, 'requests');
    const lim = podAmounts(p, 'limits');
    return [
      p.metadata?.namespace ?? '', p.metadata?.name ?? '',
      `${formatCpu(req.cpuMilli)} (${percent(req.cpuMilli, allocCpu)})`, `${formatCpu(lim.cpuMilli)} (${percent(lim.cpuMilli, allocCpu)})`,
      `${formatMemory(req.memory)} (${percent(req.memory, allocMem)})`, `${formatMemory(lim.memory)} (${percent(lim.memory, allocMem)})`,
      age(p.metadata?.creationTimestamp, now),
    ];
  });
  w.table(1, ['Namespace', 'Name', 'CPU Requests', 'CPU Limits', 'Memory Requests', 'Memory Limits', 'Age'], rows);
  let reqCpu = 0; let limCpu = 0; let reqMem = 0; let limMem = 0;
  for (const p of pods) {
    const r = podAmounts(p, 'requests'); const l = podAmounts(p, 'limits');
    reqCpu += r.cpuMilli; limCpu += l.cpuMilli; reqMem += r.memory; limMem += l.memory;
  }
  w.section(0, 'Allocated resources');
  w.table(1, ['Resource', 'Requests', 'Limits'], [
    ['cpu', `${formatCpu(reqCpu)} (${percent(reqCpu, allocCpu)})`, `${formatCpu(limCpu)} (${percent(limCpu, allocCpu)})`],
    ['memory', `${formatMemory(reqMem)} (${percent(reqMem, allocMem)})`, `${formatMemory(limMem)} (${percent(limMem, allocMem)})`],
    ['pods', `${pods.length} (${percent(pods.length, Number(allocatable['pods'] ?? 0))})`, '0 (0%)'],
  ]);
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeDeployment(d: Deployment, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, d, now, true);
  const spec = d.spec;
  const st = d.status ?? {};
  w.field(0, 'Selector', formatSelector(spec?.selector));
  const desired = spec?.replicas ?? 1;
  w.field(0, 'Replicas', `${desired} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable`);
  const strategy = spec?.strategy?.type ?? 'RollingUpdate';
  w.field(0, 'StrategyType', strategy);
  w.field(0, 'MinReadySeconds', spec?.minReadySeconds ?? 0);
  if (strategy === 'RollingUpdate') {
    const ru = spec?.strategy?.rollingUpdate;
    w.field(0, 'RollingUpdateStrategy', `${ru?.maxUnavailable ?? '25%'} max unavailable, ${ru?.maxSurge ?? '25%'} max surge`);
  }
  if (spec?.paused) w.field(0, 'Paused', 'true');
  podTemplate(w, spec?.template);
  const conds = st.conditions ?? [];
  if (conds.length) {
    w.section(0, 'Conditions');
    w.table(1, ['Type', 'Status', 'Reason'], conds.map((c) => [c.type, c.status, c.reason ?? '']));
  }
  const rss = [...(rel.replicaSets ?? [])];
  const revision = (o: { metadata?: ObjectMeta | undefined }): number => Number(o.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0);
  rss.sort((a, b) => revision(b) - revision(a));
  const newest = rss[0];
  const show = (rs: ReplicaSet): string => `${rs.metadata?.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`;
  const old = rss.slice(1).filter((rs) => (rs.spec?.replicas ?? 0) > 0 || (rs.status?.replicas ?? 0) > 0);
  w.field(0, 'OldReplicaSets', old.length ? old.map(show).join(', ') : '<none>');
  w.field(0, 'NewReplicaSet', newest ? show(newest) : '<none>');
  describeEvents(w, rel.events, now);
  return w.toString();
}

/** "3 Running / 0 Waiting / 0 Succeeded / 0 Failed" over a controller's pods. */
function podsStatus(pods: readonly Pod[] = []): string {
  const count = (phase: string): number => pods.filter((p) => (p.status?.phase ?? 'Pending') === phase).length;
  return `${count('Running')} Running / ${count('Pending')} Waiting / ${count('Succeeded')} Succeeded / ${count('Failed')} Failed`;
}

function describeReplicaSet(rs: ReplicaSet, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, rs, now, true);
  w.field(0, 'Selector', formatSelector(rs.spec?.selector));
  w.field(0, 'Replicas', `${rs.status?.replicas ?? 0} current / ${rs.spec?.replicas ?? 1} desired`);
  w.field(0, 'Pods Status', podsStatus(rel.pods));
  podTemplate(w, rs.spec?.template);
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeReplicationController(rc: ReplicationController, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, rc, now, true);
  w.field(0, 'Selector', labelsOrNone(rc.spec?.selector));
  w.field(0, 'Replicas', `${rc.status?.replicas ?? 0} current / ${rc.spec?.replicas ?? 1} desired`);
  w.field(0, 'Pods Status', podsStatus(rel.pods));
  podTemplate(w, rc.spec?.template);
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeDaemonSet(ds: DaemonSet, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, ds, now, true);
  const st = ds.status;
  w.field(0, 'Selector', formatSelector(ds.spec?.selector));
  w.field(0, 'Node-Selector', labelsOrNone(ds.spec?.template?.spec?.nodeSelector));
  w.field(0, 'Update Strategy', ds.spec?.updateStrategy?.type ?? 'RollingUpdate');
  w.field(0, 'Desired Number of Nodes Scheduled', String(st?.desiredNumberScheduled ?? 0));
  w.field(0, 'Current Number of Nodes Scheduled', String(st?.currentNumberScheduled ?? 0));
  w.field(0, 'Number of Nodes Scheduled with Up-to-date Pods', String(st?.updatedNumberScheduled ?? 0));
  w.field(0, 'Number of Nodes Scheduled with Available Pods', String(st?.numberAvailable ?? 0));
  w.field(0, 'Number of Nodes Misscheduled', String(st?.numberMisscheduled ?? 0));
  w.field(0, 'Pods Status', podsStatus(rel.pods));
  podTemplate(w, ds.spec?.template);
  describeEvents(w, rel.events, now);
  return w.toString();
}

/** kubectl's describe statefulset: replicas, update strategy and partition, pods, template and the volume claim templates. */
function describeStatefulSet(sts: StatefulSet, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, sts, now, true);
  w.field(0, 'Selector', formatSelector(sts.spec?.selector));
  w.field(0, 'Replicas', `${sts.spec?.replicas ?? 1} desired | ${sts.status?.replicas ?? 0} total`);
  const strategy = sts.spec?.updateStrategy;
  w.field(0, 'Update Strategy', strategy?.type ?? 'RollingUpdate');
  if (strategy?.rollingUpdate?.partition !== undefined) w.field(1, 'Partition', String(strategy.rollingUpdate.partition));
  w.field(0, 'Pods Status', podsStatus(rel.pods));
  podTemplate(w, sts.spec?.template);
  const claims = sts.spec?.volumeClaimTemplates ?? [];
  if (claims.length === 0) {
    w.field(0, 'Volume Claims', '<none>');
  } else {
    w.section(0, 'Volume Claims');
    for (const c of claims) {
      w.field(1, 'Name', c.metadata?.name ?? '');
      w.field(1, 'StorageClass', c.spec?.storageClassName ?? '');
      w.field(1, 'Labels', labelsOrNone(c.metadata?.labels));
      w.field(1, 'Annotations', labelsOrNone(c.metadata?.annotations));
      w.field(1, 'Capacity', String(c.spec?.resources?.requests?.['storage'] ?? ''));
      w.field(1, 'Access Modes', `[${(c.spec?.accessModes ?? []).join(' ')}]`);
    }
  }
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeNamespace(ns: Namespace, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, ns, now, false);
  w.field(0, 'Status', ns.status?.phase ?? 'Active');
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeConfigMap(cm: ConfigMap, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, cm, now, true);
  w.raw(0, '');
  w.raw(0, 'Data');
  w.raw(0, '====');
  for (const [k, v] of Object.entries(cm.data ?? {})) {
    w.raw(0, `${k}:`);
    w.raw(0, '----');
    w.raw(0, v);
  }
  w.raw(0, '');
  w.raw(0, 'BinaryData');
  w.raw(0, '====');
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) w.raw(0, `${k}: ${Buffer.from(v, 'base64').length} bytes`);
  w.raw(0, '');
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeSecret(s: Secret, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, s, now, true);
  w.raw(0, '');
  w.field(0, 'Type', s.type ?? 'Opaque');
  w.raw(0, '');
  w.raw(0, 'Data');
  w.raw(0, '====');
  // Values are secret: only their sizes are shown, as kubectl does.
  for (const [k, v] of Object.entries(s.data ?? {})) w.field(0, k, `${Buffer.from(v, 'base64').length} bytes`);
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeLease(l: Lease, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, l, now, true);
  w.field(0, 'Holder Identity', l.spec?.holderIdentity);
  w.field(0, 'Lease Duration Seconds', l.spec?.leaseDurationSeconds);
  w.field(0, 'Acquire Time', l.spec?.acquireTime);
  w.field(0, 'Renew Time', l.spec?.renewTime ? `${l.spec.renewTime} (${age(l.spec.renewTime, now)} ago)` : undefined);
  w.field(0, 'Lease Transitions', l.spec?.leaseTransitions ?? 0);
  describeEvents(w, rel.events, now);
  return w.toString();
}

/** kubectl's service describer (≥ 1.29: endpoints from the EndpointSlices). */
function describeService(svc: Service, rel: Related, now: number): string {
  const w = new DescribeWriter();
  const m = svc.metadata ?? {};
  const spec = svc.spec ?? {};
  w.field(0, 'Name', m.name);
  w.field(0, 'Namespace', m.namespace);
  w.map(0, 'Labels', m.labels);
  const annotations = { ...(m.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  w.map(0, 'Annotations', annotations, ': ');
  w.field(0, 'Selector', labelsOrNone(spec.selector));
  w.field(0, 'Type', spec.type);
  if (spec.ipFamilyPolicy) w.field(0, 'IP Family Policy', spec.ipFamilyPolicy);
  w.field(0, 'IP Families', spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>');
  w.text(0, 'IP', spec.clusterIP ?? '');
  w.field(0, 'IPs', spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>');
  if (spec.externalIPs?.length) w.field(0, 'External IPs', spec.externalIPs.join(','));
  if (spec.loadBalancerIP) w.field(0, 'Desired LoadBalancer IP', spec.loadBalancerIP);
  if (spec.externalName) w.field(0, 'External Name', spec.externalName);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length) w.field(0, 'LoadBalancer Ingress', ingress.map((i) => (i.ip ? `${i.ip}${i.ipMode ? ` (${i.ipMode})` : ''}` : i.hostname ?? '')).join(', '));
  for (const p of spec.ports ?? []) {
    const name = p.name || '<unset>';
    const protocol = p.protocol ?? 'TCP';
    w.field(0, 'Port', `${name}  ${p.port}/${protocol}`);
    w.field(0, 'TargetPort', `${p.targetPort ?? p.port}/${protocol}`);
    if (p.appProtocol) w.field(0, 'AppProtocol', p.appProtocol);
    if (p.nodePort) w.field(0, 'NodePort', `${name}  ${p.nodePort}/${protocol}`);
    w.text(0, 'Endpoints', formatServiceEndpoints(rel.endpointSlices ?? [], p.name ?? ''));
  }
  w.field(0, 'Session Affinity', spec.sessionAffinity);
  if (spec.externalTrafficPolicy) w.field(0, 'External Traffic Policy', spec.externalTrafficPolicy);
  if (spec.internalTrafficPolicy) w.field(0, 'Internal Traffic Policy', spec.internalTrafficPolicy);
  if (spec.healthCheckNodePort) w.field(0, 'HealthCheck NodePort', spec.healthCheckNodePort);
  if (spec.loadBalancerSourceRanges?.length) w.field(0, 'LoadBalancer Source Ranges', spec.loadBalancerSourceRanges.join(','));
  if (spec.trafficDistribution) w.field(0, 'Traffic Distribution', spec.trafficDistribution);
  describeEvents(w, rel.events, now);
  return w.toString();
}

function describeEvent(e: Event, now: number): string {
  const w = new DescribeWriter();
  header(w, e, now, true);
  w.field(0, 'Type', e.type);
  w.field(0, 'Reason', e.reason);
  w.field(0, 'Message', e.message);
  w.field(0, 'Involved Object', `${e.involvedObject?.kind}/${e.involvedObject?.name}${e.involvedObject?.namespace ? ` (namespace ${e.involvedObject.namespace})` : ''}`);
  w.field(0, 'Source', e.source?.component);
  w.field(0, 'First Timestamp', e.firstTimestamp);
  w.field(0, 'Last Timestamp', e.lastTimestamp);
  w.field(0, 'Count', e.count ?? 1);
  return w.toString();
}

function describeGeneric(obj: KubeObject, rel: Related, now: number, namespaced: boolean): string {
  const w = new DescribeWriter();
  header(w, obj, now, namespaced);
  for (const key of Object.keys(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    w.section(0, key[0]!.toUpperCase() + key.slice(1));
    for (const line of toYaml(obj[key]).trimEnd().split('\n')) w.raw(1, line);
  }
  describeEvents(w, rel.events, now);
  return w.toString();
}

/** kubectl's describe job: spec, times, pod counts, completed indexes, template, conditions-as-events. */
function describeJob(job: Job, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, job, now, true);
  const spec = job.spec;
  const st = job.status ?? {};
  w.field(0, 'Selector', formatSelector(spec?.selector));
  w.field(0, 'Parallelism', spec?.parallelism ?? 1);
  w.field(0, 'Completions', spec?.completions ?? '<unset>');
  w.field(0, 'Completion Mode', spec?.completionMode ?? 'NonIndexed');
  w.field(0, 'Suspend', String(spec?.suspend ?? false));
  w.field(0, 'Backoff Limit', spec?.backoffLimit ?? 6);
  if (spec?.ttlSecondsAfterFinished !== undefined) w.field(0, 'TTL Seconds After Finished', spec.ttlSecondsAfterFinished);
  if (st.startTime) w.field(0, 'Start Time', st.startTime);
  if (st.completionTime) w.field(0, 'Completed At', st.completionTime);
  if (st.startTime) w.field(0, 'Duration', jobDuration(job, now));
  if (spec?.activeDeadlineSeconds !== undefined) w.field(0, 'Active Deadline Seconds', `${spec.activeDeadlineSeconds}s`);
  w.field(0, 'Pods Statuses', `${st.active ?? 0} Active (${st.ready ?? 0} Ready) / ${st.succeeded ?? 0} Succeeded / ${st.failed ?? 0} Failed`);
  if (spec?.completionMode === 'Indexed') w.field(0, 'Completed Indexes', st.completedIndexes || '<none>');
  podTemplate(w, spec?.template);
  const conds = st.conditions ?? [];
  if (conds.length) {
    w.section(0, 'Conditions');
    w.table(1, ['Type', 'Status', 'Reason'], conds.map((c) => [c.type, c.status, c.reason ?? '']));
  }
  describeEvents(w, rel.events, now);
  return w.toString();
}

/** kubectl's describe cronjob: schedule and policies, the jobTemplate, the last run and the active Jobs. */
function describeCronJob(cj: CronJob, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, cj, now, true);
  const spec = cj.spec;
  const jobSpec = spec?.jobTemplate?.spec;
  const orUnset = (v: number | undefined | null): string | number => (v === undefined || v === null ? '<unset>' : v);
  w.field(0, 'Schedule', spec?.schedule ?? '');
  if (spec?.timeZone) w.field(0, 'Time Zone', spec.timeZone);
  w.field(0, 'Concurrency Policy', spec?.concurrencyPolicy ?? 'Allow');
  w.field(0, 'Suspend', spec?.suspend ? 'True' : 'False');
  w.field(0, 'Successful Job History Limit', orUnset(spec?.successfulJobsHistoryLimit));
  w.field(0, 'Failed Job History Limit', orUnset(spec?.failedJobsHistoryLimit));
  w.field(0, 'Starting Deadline Seconds', spec?.startingDeadlineSeconds === undefined ? '<unset>' : `${spec.startingDeadlineSeconds}s`);
  w.field(0, 'Selector', jobSpec?.selector ? formatSelector(jobSpec.selector) : '<unset>');
  w.field(0, 'Parallelism', orUnset(jobSpec?.parallelism));
  w.field(0, 'Completions', orUnset(jobSpec?.completions));
  if (jobSpec?.activeDeadlineSeconds !== undefined) w.field(0, 'Active Deadline Seconds', `${jobSpec.activeDeadlineSeconds}s`);
  podTemplate(w, jobSpec?.template);
  w.field(0, 'Last Schedule Time', cj.status?.lastScheduleTime ? new Date(cj.status.lastScheduleTime).toUTCString() : '<unset>');
  w.field(0, 'Active Jobs', (cj.status?.active ?? []).map((r) => r.name ?? '').join(', ') || '<none>');
  describeEvents(w, rel.events, now);
  return w.toString();
}

/** kubectl's describe pvc: class, phase, volume, what the volume gives, and the pods using it. */
function describePersistentVolumeClaim(pvc: PersistentVolumeClaim, rel: Related, now: number): string {
  const w = new DescribeWriter();
  const m = pvc.metadata ?? {};
  w.field(0, 'Name', m.name);
  w.field(0, 'Namespace', m.namespace);
  w.field(0, 'StorageClass', pvc.spec?.storageClassName ?? '');
  w.field(0, 'Status', m.deletionTimestamp ? 'Terminating' : pvc.status?.phase ?? '');
  w.field(0, 'Volume', pvc.spec?.volumeName ?? '');
  w.map(0, 'Labels', m.labels);
  const annotations = { ...(m.annotations ?? {}) };
  delete annotations[LAST_APPLIED_ANNOTATION];
  w.map(0, 'Annotations', annotations, ': ');
  w.field(0, 'Finalizers', `[${(m.finalizers ?? []).join(' ')}]`);
  const bound = !!pvc.spec?.volumeName;
  w.field(0, 'Capacity', bound ? String(pvc.status?.capacity?.storage ?? '') : '');
  w.field(0, 'Access Modes', bound ? accessModesString(pvc.status?.accessModes) : '');
  w.field(0, 'VolumeMode', pvc.spec?.volumeMode ?? 'Filesystem');
  w.field(0, 'Used By', (rel.pods ?? []).map((p) => p.metadata?.name ?? '').join(', ') || '<none>');
  describeEvents(w, rel.events, now);
  return w.toString();
}

/** kubectl's describe hpa (autoscaling/v2): reference, each metric "current / target", bounds, pods, conditions. */
function describeHorizontalPodAutoscaler(hpa: HorizontalPodAutoscaler, rel: Related, now: number): string {
  const w = new DescribeWriter();
  header(w, hpa, now, true);
  const spec = hpa.spec;
  w.field(0, 'Reference', formatScaleTargetRef(spec?.scaleTargetRef));
  w.field(0, 'Metrics', '( current / target )');
  (spec?.metrics ?? []).forEach((m, i) => {
    const cur = hpa.status?.currentMetrics?.[i];
    if (m.type !== 'Resource' || !m.resource) { w.field(1, `${m.type} metric`, '<unsupported>'); return; }
    const { name, target } = m.resource;
    const got = cur?.type === 'Resource' && cur.resource?.name === name ? cur.resource.current : undefined;
    if (target.type === 'Utilization') {
      const current = got?.averageUtilization !== undefined ? `${got.averageUtilization}% (${String(got.averageValue ?? '')})` : '<unknown>';
      w.field(1, `resource ${name} on pods  (as a percentage of request)`, `${current} / ${target.averageUtilization ?? 0}%`);
    } else {
      w.field(1, `resource ${name} on pods`, `${got?.averageValue !== undefined ? String(got.averageValue) : '<unknown>'} / ${String(target.averageValue ?? '')}`);
    }
  });
  w.field(0, 'Min replicas', spec?.minReplicas ?? '<unset>');
  w.field(0, 'Max replicas', spec?.maxReplicas ?? 0);
  if (spec?.behavior) {
    w.field(0, 'Behavior', '');
    for (const [label, rules] of [['Scale Up', spec.behavior.scaleUp], ['Scale Down', spec.behavior.scaleDown]] as const) {
      if (!rules) continue;
      w.field(1, label, '');
      w.field(2, 'Stabilization Window', rules.stabilizationWindowSeconds === undefined ? '<unset>' : `${rules.stabilizationWindowSeconds} seconds`);
      w.field(2, 'Select Policy', rules.selectPolicy ?? 'Max');
      w.field(2, 'Policies', '');
      for (const p of rules.policies ?? []) w.raw(3, `- Type: ${p.type}  Value: ${p.value}  Period: ${p.periodSeconds} seconds`);
    }
  }
  w.field(0, `${spec?.scaleTargetRef.kind ?? ''} pods`, `${hpa.status?.currentReplicas ?? 0} current / ${hpa.status?.desiredReplicas ?? 0} desired`);
  const conditions = hpa.status?.conditions ?? [];
  if (conditions.length) {
    w.section(0, 'Conditions');
    w.table(1, ['Type', 'Status', 'Reason', 'Message'], conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']));
  }
  describeEvents(w, rel.events, now);
  return w.toString();
}

export function describeObject(obj: KubeObject, rel: Related, now: number, namespaced: boolean): string {
  switch (obj.kind) {
    case 'Pod': return describePod(obj as Pod, rel, now);
    case 'Node': return describeNode(obj as Node, rel, now);
    case 'Deployment': return describeDeployment(obj as Deployment, rel, now);
    case 'ReplicaSet': return describeReplicaSet(obj as ReplicaSet, rel, now);
    case 'ReplicationController': return describeReplicationController(obj as ReplicationController, rel, now);
    case 'DaemonSet': return describeDaemonSet(obj as DaemonSet, rel, now);
    case 'StatefulSet': return describeStatefulSet(obj as StatefulSet, rel, now);
    case 'Job': return describeJob(obj as Job, rel, now);
    case 'CronJob': return describeCronJob(obj as CronJob, rel, now);
    case 'Namespace': return describeNamespace(obj as Namespace, rel, now);
    case 'ConfigMap': return describeConfigMap(obj as ConfigMap, rel, now);
    case 'Secret': return describeSecret(obj as Secret, rel, now);
    case 'Lease': return describeLease(obj as Lease, rel, now);
    case 'Service': return describeService(obj as Service, rel, now);
    case 'Event': return describeEvent(obj as unknown as Event, now);
    case 'PersistentVolumeClaim': return describePersistentVolumeClaim(obj as PersistentVolumeClaim, rel, now);
    case 'HorizontalPodAutoscaler': return describeHorizontalPodAutoscaler(obj as unknown as HorizontalPodAutoscaler, rel, now);
    default: return describeGeneric(obj, rel, now, namespaced);
  }
}

/** The events about `obj` among `events`: same uid, or same kind, name and namespace. */
export function eventsFor(obj: KubeObject, events: readonly Event[]): Event[] {
  const uid = obj.metadata?.uid;
  return events.filter((e) => {
    const io = e.involvedObject;
    if (!io) return false;
    if (uid && io.uid) return io.uid === uid;
    return io.kind === obj.kind && io.name === obj.metadata?.name && (io.namespace ?? '') === (obj.metadata?.namespace ?? '');
  });
}
