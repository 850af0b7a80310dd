// VolumeBinding (Kubernetes' plugins/volumebinding): a pod's PersistentVolumeClaims decide
// where it may run.
//
//   PreFilter  no claims → skip (what pods without volumes pay: one look at spec.volumes);
//              a claim that is missing, being deleted, or unbound with Immediate binding →
//              the pod fits nowhere (Kubernetes' messages); bound claims → their volumes;
//              unbound WaitForFirstConsumer claims → kept for Filter and PreBind
//   Filter     a bound volume's node affinity must admit the node; an unbound delayed claim
//              fits where its class can provision, or where an available volume matches it
//   PreBind    each unbound delayed claim gets volume.kubernetes.io/selected-node = the node,
//              then the pod waits (off the scheduling loop) until every claim is Bound: the
//              binder binds a matching volume there or the class's provisioner makes one
import {
  SELECTED_NODE_ANNOTATION, claimClass, findMatchingVolume, volumeFitsNode,
  type PersistentVolumeClaimObject, type PersistentVolumeObject,
} from '@tugboat/api';
import type { CycleState } from '../../framework/cycle-state.js';
import type { FilterPlugin, FrameworkHandle, PreBindPlugin, PreFilterPlugin } from '../../framework/interfaces.js';
import type { NodeInfo } from '../../framework/node-info.js';
import type { PodInfo } from '../../framework/pod-info.js';
import type { VolumeAccess } from '../../framework/snapshot.js';
import { SKIP, SUCCESS, errorStatus, unresolvable, unschedulable, type Status } from '../../framework/status.js';
import { PluginNames } from '../names.js';

const NAME = PluginNames.VolumeBinding;
export const REASON_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';
export const REASON_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const REASON_NO_VOLUME = "node(s) didn't find available persistent volumes to bind";
export const REASON_BOUND_MISSING = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
/** A class whose volumes are made by hand only (Kubernetes' convention for local volumes). */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
/** How long PreBind waits for the claims to be bound (Kubernetes' bindTimeoutSeconds is 600). */
export const DEFAULT_BIND_TIMEOUT_MS = 600_000;

const NODE_CONFLICT = unschedulable(REASON_NODE_CONFLICT, NAME);
const NO_VOLUME = unschedulable(REASON_NO_VOLUME, NAME);
const STATE_KEY = 'VolumeBinding';

/** What PreFilter learned about the pod's claims. */
export interface PodVolumes {
  /** Volumes of bound claims that have node affinity (others fit every node). */
  readonly boundWithAffinity: readonly PersistentVolumeObject[];
  /** Unbound WaitForFirstConsumer claims, and whether their class can provision anywhere. */
  readonly delayed: ReadonlyArray<{ readonly claim: PersistentVolumeClaimObject; readonly provisions: boolean }>;
}

export type PodVolumesResult = { readonly ok: true; readonly volumes: PodVolumes | undefined } | { readonly ok: false; readonly status: Status };

/** The claim names of the pod's volumes (ephemeral volumes' claims are named <pod>-<volume>). */
export function podClaimNames(pod: PodInfo['pod']): string[] {
  const out: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    if (v.persistentVolumeClaim?.claimName) out.push(v.persistentVolumeClaim.claimName);
    else if (v.ephemeral) out.push(`${pod.metadata?.name ?? ''}-${v.name}`);
  }
  return out;
}

/** PreFilter's decision, pure over the listers: undefined volumes = nothing to filter. */
export function podVolumes(pod: PodInfo['pod'], access: Omit<VolumeAccess, 'selectNode' | 'changed'>): PodVolumesResult {
  const names = podClaimNames(pod);
  if (names.length === 0) return { ok: true, volumes: undefined };
  const ns = pod.metadata?.namespace ?? '';
  const boundWithAffinity: PersistentVolumeObject[] = [];
  const delayed: Array<{ claim: PersistentVolumeClaimObject; provisions: boolean }> = [];
  let immediate = false;
  for (const name of names) {
    const claim = access.claim(ns, name);
    if (!claim) return { ok: false, status: unresolvable(`persistentvolumeclaim "${name}" not found`, NAME) };
    if (claim.metadata?.deletionTimestamp) return { ok: false, status: unresolvable(`persistentvolumeclaim "${name}" is being deleted`, NAME) };
    const volumeName = claim.spec?.volumeName;
    if (volumeName) {
      const pv = access.volume(volumeName);
      if (!pv) return { ok: false, status: unresolvable(REASON_BOUND_MISSING, NAME) };
      if (pv.spec?.nodeAffinity?.required) boundWithAffinity.push(pv);
      continue;
    }
    const sc = access.storageClass(claimClass(claim));
    if (sc?.volumeBindingMode === 'WaitForFirstConsumer') delayed.push({ claim, provisions: sc.provisioner !== NO_PROVISIONER });
    else immediate = true;
  }
  // Kubernetes waits for the binder to bind Immediate claims first.
  if (immediate) return { ok: false, status: unresolvable(REASON_UNBOUND_IMMEDIATE, NAME) };
  if (boundWithAffinity.length === 0 && delayed.length === 0) return { ok: true, volumes: undefined };
  return { ok: true, volumes: { boundWithAffinity, delayed } };
}

/** Filter's decision for one node, pure. */
export function volumesFitNode(v: PodVolumes, node: NodeInfo, allVolumes: () => Iterable<PersistentVolumeObject>): Status {
  for (const pv of v.boundWithAffinity) if (!volumeFitsNode(pv, node.labels, node.name)) return NODE_CONFLICT;
  for (const d of v.delayed) {
    if (d.provisions) continue;
    if (!findMatchingVolume(d.claim, allVolumes(), { name: node.name, labels: node.labels }, true)) return NO_VOLUME;
  }
  return SUCCESS;
}

export class VolumeBinding implements PreFilterPlugin, FilterPlugin, PreBindPlugin {
  readonly name = NAME;

  constructor(private readonly access: VolumeAccess | undefined, private readonly bindTimeoutMs = DEFAULT_BIND_TIMEOUT_MS) {}

  preFilter(state: CycleState, pod: PodInfo): Status {
    if (!pod.pod.spec?.volumes?.length) return SKIP;
    if (!this.access) return podClaimNames(pod.pod).length ? errorStatus('VolumeBinding: the scheduler has no claim informers', NAME) : SKIP;
    const r = podVolumes(pod.pod, this.access);
    if (!r.ok) return r.status;
    if (!r.volumes) return SKIP;
    state.write(STATE_KEY, r.volumes);
    return SUCCESS;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const v = state.read<PodVolumes>(STATE_KEY);
    if (!v || !this.access) return SUCCESS;
    const access = this.access;
    return volumesFitNode(v, node, () => access.volumes());
  }

  preBindPreFlight(state: CycleState): Status {
    return this.access && (state.read<PodVolumes>(STATE_KEY)?.delayed.length ?? 0) > 0 ? SUCCESS : SKIP;
  }

  async preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<Status> {
    const v = state.read<PodVolumes>(STATE_KEY);
    const access = this.access;
    if (!v || v.delayed.length === 0 || !access) return SKIP;
    for (const { claim } of v.delayed) {
      if (claim.metadata?.annotations?.[SELECTED_NODE_ANNOTATION] === nodeName) continue;
      await access.selectNode(claim.metadata?.namespace ?? '', claim.metadata?.name ?? '', nodeName);
    }
    const deadline = Date.now() + this.bindTimeoutMs;
    for (;;) {
      const pending = v.delayed.filter(({ claim }) => {
        const now = access.claim(claim.metadata?.namespace ?? '', claim.metadata?.name ?? '');
        return !(now?.spec?.volumeName && now.status?.phase === 'Bound');
      });
      if (pending.length === 0) return SUCCESS;
      const left = deadline - Date.now();
      if (left <= 0) return errorStatus(`binding volumes: timed out waiting for the condition (claims ${pending.map((p) => p.claim.metadata?.name ?? '').join(', ')} of pod ${pod.key} not bound)`, NAME);
      await access.changed(Math.min(left, 1_000));
    }
  }
}

export const factory = (handle: FrameworkHandle): VolumeBinding => new VolumeBinding(handle.volumes);
