// Node IPAM (Kubernetes' nodeipam controller with the range allocator): every Node gets a pod
// CIDR — the next free block of --node-cidr-mask-size from --cluster-cidr — in spec.podCIDR and
// spec.podCIDRs. Agents read it to address their pods; peers route to it (host-gw).
//
//   start: every CIDR already on a Node is marked taken (cidr-set.ts), before any is handed out,
//          so a restarted controller never gives a block twice
//   node events ──▶ node name
//   sync(name): Node gone → its block is free again; Node with a podCIDR (ours, or its agent's
//               --pod-cidr) → marked taken; Node without → next free block, written to the Node
//               (only if it still has none); none left → Event CIDRNotAvailable, retried when a
//               block is released
import { formatIPv4Cidr, parseIPv4Cidr, type Informer } from '@tugboat/api';
import { CidrSet } from './cidr-set.js';
import type { EventRecorder } from './events.js';
import type { NodeObject, SharedInformers } from './informers.js';
import { updateWithRetry } from './owner-refs.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

/** The component Kubernetes' range allocator records its Events as. */
export const CIDR_ALLOCATOR = 'cidrAllocator';
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;

/** A Node's pod CIDR, as the Node says it (podCIDRs first, the list Kubernetes treats as the truth). */
export function nodePodCIDR(n: NodeObject): string | undefined {
  return n.spec?.podCIDRs?.[0] ?? n.spec?.podCIDR ?? undefined;
}

export interface NodeIpamOptions extends ControllerOptions {
  informers: SharedInformers;
  recorder: EventRecorder;
  /** --cluster-cidr, e.g. 198.18.0.0/16. */
  clusterCidr: string;
  /** --node-cidr-mask-size (default 24). */
  nodeCidrMaskSize?: number;
}

export class NodeIpamController extends QueueController {
  readonly cidrs: CidrSet;
  private readonly nodes: Informer<NodeObject>;
  private readonly recorder: EventRecorder;
  // The block this controller counts as each Node's (by name, with the Node's uid: a Node
  // deleted and registered again under its name is a new Node).
  private readonly held = new Map<string, { uid: string; cidr: string }>();
  // Nodes that found the range full: tried again as soon as a block is released.
  private readonly waiting = new Set<string>();
  private readonly outsideReported = new Set<string>();

  /** Throws a one-line Error when the CIDR or mask size is unusable. */
  constructor(opts: NodeIpamOptions) {
    const cluster = parseIPv4Cidr(opts.clusterCidr);
    if (!cluster) throw new Error(`--cluster-cidr: expected an IPv4 CIDR such as 198.18.0.0/16, got ${JSON.stringify(opts.clusterCidr)}`);
    const mask = opts.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE;
    let cidrs: CidrSet;
    try {
      cidrs = new CidrSet(cluster, mask);
    } catch (e) {
      throw new Error(`--node-cidr-mask-size: ${e instanceof Error ? e.message : String(e)} (--cluster-cidr ${formatIPv4Cidr(cluster)})`);
    }
    super('cidrallocator_node', opts, 4);
    this.cidrs = cidrs;
    this.recorder = opts.recorder;
    this.nodes = opts.informers.nodes();
    this.nodes
      .onAdd((n) => this.queue.add(n.metadata?.name ?? ''))
      .onUpdate((old, n) => {
        // Heartbeats are most Node updates; only a missing or changed pod CIDR matters here.
        if (!nodePodCIDR(n) || nodePodCIDR(old) !== nodePodCIDR(n) || old.metadata?.uid !== n.metadata?.uid) this.queue.add(n.metadata?.name ?? '');
      })
      .onDelete((n) => this.queue.add(n.metadata?.name ?? ''));
  }

  /** Marks what the Nodes in the cache hold, then starts the workers. */
  override run(): Promise<void> {
    for (const n of this.nodes.list()) this.occupy(n);
    return super.run();
  }

  async sync(name: string): Promise<void> {
    const node = this.nodes.get(name);
    let held = this.held.get(name);
    if (held && held.uid !== node?.metadata?.uid) {
      this.release(name, held.cidr);
      held = undefined;
    }
    if (!node) {
      this.waiting.delete(name);
      return;
    }
    if (nodePodCIDR(node)) {
      this.waiting.delete(name);
      this.occupy(node);
      return;
    }
    const uid = node.metadata?.uid ?? '';
    // A block we chose before (a write that failed or is not in the cache yet) is kept, so a
    // retry cannot take a second one.
    const cidr = held?.cidr ?? this.cidrs.allocateNext();
    if (!cidr) {
      this.waiting.add(name);
      this.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
      throw new Error(`node ipam: no free /${this.cidrs.nodePrefix} left in --cluster-cidr ${formatIPv4Cidr(this.cidrs.cluster)} for node ${name}`);
    }
    this.waiting.delete(name);
    this.held.set(name, { uid, cidr });
    let theirs: string | undefined;
    const written = await updateWithRetry<NodeObject>(this.client, 'nodes', '', name, uid, (n) => {
      theirs = nodePodCIDR(n);
      // Set once, never changed: an agent (--pod-cidr) or an earlier write may have won.
      if (theirs) return false;
      n.spec = { ...n.spec, podCIDR: cidr, podCIDRs: [cidr] };
      return true;
    });
    if (written) {
      this.log.info(`node ipam: node ${name} gets podCIDR ${cidr}`);
    } else if (theirs && theirs !== cidr) {
      // The Node already has another: give ours back, count theirs.
      this.release(name, cidr);
      this.cidrs.occupy(theirs);
      this.held.set(name, { uid, cidr: theirs });
    }
  }

  private occupy(n: NodeObject): void {
    const name = n.metadata?.name ?? '';
    const cidr = nodePodCIDR(n);
    if (!cidr) return;
    const held = this.held.get(name);
    if (held && held.cidr !== cidr) this.release(name, held.cidr);
    if (!this.cidrs.occupy(cidr)) {
      // An agent's --pod-cidr outside the cluster CIDR: nothing here can clash with it.
      if (!this.outsideReported.has(name)) this.log.info(`node ipam: node ${name} has podCIDR ${cidr}, outside --cluster-cidr ${formatIPv4Cidr(this.cidrs.cluster)}; not tracked`);
      this.outsideReported.add(name);
      this.held.delete(name);
      return;
    }
    this.held.set(name, { uid: n.metadata?.uid ?? '', cidr });
  }

  private release(name: string, cidr: string): void {
    this.held.delete(name);
    this.outsideReported.delete(name);
    // Another Node may claim the same block (two agents given the same --pod-cidr): it stays taken.
    for (const [other, h] of this.held) if (other !== name && h.cidr === cidr) return;
    if (!this.cidrs.release(cidr)) return;
    for (const w of this.waiting) this.queue.add(w);
  }
}
