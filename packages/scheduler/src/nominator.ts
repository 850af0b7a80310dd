// Kubernetes' PodNominator: which pending pods have been promised a node by a preemption
// (status.nominatedNodeName, or a nomination this scheduler made a moment ago that the pod's
// status does not show yet). Filters count a node's nominated pods of equal or higher priority
// as if they ran there, so a lower-priority pod cannot take the room preemption freed.
//
//   queue add / update ──▶ sync (follows status.nominatedNodeName; keeps an in-memory one)
//   preemption ─────────▶ add          assume, queue delete, cleared nomination ──▶ delete
import type { PodInfo } from './framework/pod-info.js';
import type { NominatedPods } from './framework/interfaces.js';

const NONE: readonly PodInfo[] = Object.freeze([]);

export class Nominator implements NominatedPods {
  private readonly byNode = new Map<string, Map<string, PodInfo>>();
  private readonly nodeOfPod = new Map<string, string>();

  get size(): number { return this.nodeOfPod.size; }

  forNode(nodeName: string): readonly PodInfo[] {
    const pods = this.byNode.get(nodeName);
    return pods ? [...pods.values()] : NONE;
  }

  nodeOf(key: string): string | undefined {
    return this.nodeOfPod.get(key);
  }

  add(pod: PodInfo, nodeName: string): void {
    this.delete(pod.key);
    let pods = this.byNode.get(nodeName);
    if (!pods) this.byNode.set(nodeName, pods = new Map());
    pods.set(pod.key, pod);
    this.nodeOfPod.set(pod.key, nodeName);
  }

  /**
   * A pending pod's newer object: nominated where its status says; without a nominatedNodeName
   * in the status, a nomination made here stays (the status write may not have landed yet).
   */
  sync(pod: PodInfo): void {
    const nodeName = pod.pod.status?.nominatedNodeName || this.nodeOfPod.get(pod.key);
    if (nodeName) this.add(pod, nodeName);
  }

  delete(key: string): void {
    const nodeName = this.nodeOfPod.get(key);
    if (nodeName === undefined) return;
    this.nodeOfPod.delete(key);
    const pods = this.byNode.get(nodeName);
    pods?.delete(key);
    if (pods?.size === 0) this.byNode.delete(nodeName);
  }
}
