// Whether a Node's Ready condition is True: its agent reports itself healthy and the node
// lifecycle controller has not marked it Unknown (it does so after its grace period without
// news of life). One definition for the scheduler, the metrics API, tctl and the benches.

/** What of a Node this reads (a kubernetes-types Node, or a KubeObject read as one). */
export interface WithNodeConditions {
  readonly status?: { readonly conditions?: readonly { readonly type?: string; readonly status?: string }[] };
}

export function isNodeReady(node: WithNodeConditions): boolean {
  return node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}
