// The Node authorizer's graph, as Kubernetes keeps it: for each node, the pods bound to it and
// what those pods reference (Secrets, ConfigMaps, PersistentVolumeClaims, their ServiceAccount),
// and the PersistentVolumes (fed by the PV informer: a volume → its claim, and the node a local
// volume lives on, so the agent can finish a local volume's deletion), with reference counts
// so an object stays readable while any pod on the node still uses it. Fed by the pods
// informer; answers in O(1) without asking etcd. It keeps a few strings per pod, not the
// pods themselves, and also answers "does this pod (uid) exist" for bound tokens.
import { localVolumeNode, sharedStrings, type KubeObject, type PersistentVolumeObject, type Pod } from '@tugboat/api';
import { podReferences } from './pod-references.js';

type PodObject = Pod & KubeObject;

interface PodEntry {
  readonly uid: string;
  /** "" while the pod is not bound. */
  readonly node: string;
  readonly namespace: string;
  readonly secrets: readonly string[];
  readonly configMaps: readonly string[];
  readonly claims: readonly string[];
  readonly serviceAccount: string;
}

const NONE: readonly string[] = [];

/**
 * Names as a pod entry keeps them: shared copies (every pod of a namespace names the same
 * "kube-root-ca.crt" and ServiceAccount), in an array, the one empty array when none; at
 * 50,000 pods, three Sets and their own strings per pod were some 20 MB.
 */
function kept(names: ReadonlySet<string>): readonly string[] {
  return names.size === 0 ? NONE : [...names].map((n) => sharedStrings.share(n));
}

/** Counted references from one node to objects of one kind, by "namespace/name". */
class Counts {
  private readonly m = new Map<string, number>();
  add(key: string): void { this.m.set(key, (this.m.get(key) ?? 0) + 1); }
  remove(key: string): void {
    const n = (this.m.get(key) ?? 0) - 1;
    if (n <= 0) this.m.delete(key);
    else this.m.set(key, n);
  }
  has(key: string): boolean { return this.m.has(key); }
}

interface NodeEdges {
  readonly pods: Set<string>;
  readonly secrets: Counts;
  readonly configMaps: Counts;
  readonly claims: Counts;
  readonly serviceAccounts: Counts;
}

const k = (namespace: string, name: string): string => `${namespace}/${name}`;

export class NodeGraph {
  private readonly pods = new Map<string, PodEntry>();
  private readonly nodes = new Map<string, NodeEdges>();
  /** PV name → the claim it is bound to ("ns/name", or "") and the node of a local volume (or ""). */
  private readonly volumes = new Map<string, { readonly claim: string; readonly node: string }>();

  private edges(node: string): NodeEdges {
    let e = this.nodes.get(node);
    if (!e) this.nodes.set(node, (e = { pods: new Set(), secrets: new Counts(), configMaps: new Counts(), claims: new Counts(), serviceAccounts: new Counts() }));
    return e;
  }

  upsertPod(pod: PodObject): void {
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    const key = k(namespace, name);
    this.removeEntry(key);
    const node = pod.spec?.nodeName ?? '';
    const refs = podReferences(pod);
    const entry: PodEntry = {
      uid: pod.metadata?.uid ?? '',
      node: sharedStrings.share(node),
      namespace: sharedStrings.share(namespace),
      secrets: kept(refs.secrets),
      configMaps: kept(refs.configMaps),
      claims: kept(refs.claims),
      serviceAccount: sharedStrings.share(refs.serviceAccount),
    };
    this.pods.set(key, entry);
    // An unbound pod gives no node anything.
    if (!node) return;
    const e = this.edges(node);
    e.pods.add(key);
    for (const s of refs.secrets) e.secrets.add(k(namespace, s));
    for (const c of refs.configMaps) e.configMaps.add(k(namespace, c));
    for (const c of refs.claims) e.claims.add(k(namespace, c));
    e.serviceAccounts.add(k(namespace, refs.serviceAccount));
  }

  deletePod(pod: PodObject): void {
    this.removeEntry(k(pod.metadata?.namespace ?? '', pod.metadata?.name ?? ''));
  }

  replace(pods: Iterable<PodObject>): void {
    this.pods.clear();
    this.nodes.clear();
    for (const p of pods) this.upsertPod(p);
  }

  private removeEntry(key: string): void {
    const old = this.pods.get(key);
    if (!old) return;
    this.pods.delete(key);
    if (!old.node) return;
    const e = this.nodes.get(old.node);
    if (!e) return;
    e.pods.delete(key);
    for (const s of old.secrets) e.secrets.remove(k(old.namespace, s));
    for (const c of old.configMaps) e.configMaps.remove(k(old.namespace, c));
    for (const c of old.claims) e.claims.remove(k(old.namespace, c));
    e.serviceAccounts.remove(k(old.namespace, old.serviceAccount));
    if (e.pods.size === 0) this.nodes.delete(old.node);
  }

  /** The pod's uid and node ("" when unbound), if the pod exists. */
  pod(namespace: string, name: string): { uid: string; node: string } | undefined {
    const e = this.pods.get(k(namespace, name));
    return e ? { uid: e.uid, node: e.node } : undefined;
  }

  hasPod(node: string, namespace: string, name: string): boolean {
    return this.nodes.get(node)?.pods.has(k(namespace, name)) ?? false;
  }

  hasSecret(node: string, namespace: string, name: string): boolean {
    return this.nodes.get(node)?.secrets.has(k(namespace, name)) ?? false;
  }

  hasConfigMap(node: string, namespace: string, name: string): boolean {
    return this.nodes.get(node)?.configMaps.has(k(namespace, name)) ?? false;
  }

  upsertVolume(pv: PersistentVolumeObject): void {
    const ref = pv.spec?.claimRef;
    this.volumes.set(pv.metadata?.name ?? '', { claim: ref?.name ? k(ref.namespace ?? '', ref.name) : '', node: localVolumeNode(pv) ?? '' });
  }

  deleteVolume(pv: PersistentVolumeObject): void {
    this.volumes.delete(pv.metadata?.name ?? '');
  }

  replaceVolumes(pvs: Iterable<PersistentVolumeObject>): void {
    this.volumes.clear();
    for (const pv of pvs) this.upsertVolume(pv);
  }

  hasClaim(node: string, namespace: string, name: string): boolean {
    return this.nodes.get(node)?.claims.has(k(namespace, name)) ?? false;
  }

  /** A volume bound to a claim the node's pods use, or a local volume on the node. */
  hasVolume(node: string, name: string): boolean {
    const v = this.volumes.get(name);
    if (!v) return false;
    return v.node === node || (!!v.claim && (this.nodes.get(node)?.claims.has(v.claim) ?? false));
  }

  /** A local volume on this node: its agent removes the directory and then the cleanup finalizer. */
  hasLocalVolume(node: string, name: string): boolean {
    return this.volumes.get(name)?.node === node;
  }

  hasServiceAccount(node: string, namespace: string, name: string): boolean {
    return this.nodes.get(node)?.serviceAccounts.has(k(namespace, name)) ?? false;
  }
}
