// metrics.k8s.io/v1beta1 served from memory: NodeMetrics and PodMetrics made on each read from
// the Nodes the server already caches (their usage annotations, see @tugboat/api
// resource-metrics.ts) and, for pods, the pods a list or get names. Read-only: get and list.
//
//   Registry.get/list("nodes.metrics.k8s.io" | "pods.metrics.k8s.io") ──▶ here
//     nodes: the registry's node cache (etcd when it has not synced)
//     pods:  Registry.list("pods", namespace, selectors) — the selectors pick pods, as they do in metrics-server
import {
  ApiError, METRICS_KINDS, nodeMetrics, parseFieldSelector, parseLabelSelector, podMetrics, type KindInfo, type KubeObject,
} from '@tugboat/api';

export interface MetricsSources {
  nodes(): Promise<Iterable<KubeObject>>;
  pods(namespace: string, labelSelector: string, fieldSelector: string): Promise<readonly KubeObject[]>;
  pod(namespace: string, name: string): Promise<KubeObject>;
  now(): Date;
}

function notFound(info: KindInfo, name: string): ApiError {
  return new ApiError('NotFound', `${info.kind.toLowerCase()}.${info.group} "${name}" not found`);
}

const NODE_METRICS = METRICS_KINDS.find((k) => k.kind === 'NodeMetrics')!;
const POD_METRICS = METRICS_KINDS.find((k) => k.kind === 'PodMetrics')!;

export async function getMetrics(src: MetricsSources, info: KindInfo, namespace: string, name: string): Promise<KubeObject> {
  if (info.kind === 'NodeMetrics') {
    for (const n of await src.nodes()) {
      if (n.metadata?.name !== name) continue;
      const m = nodeMetrics(n, src.now());
      if (m) return m;
    }
    throw notFound(NODE_METRICS, name);
  }
  const pod = await src.pod(namespace, name).catch((e: unknown) => {
    if (e instanceof ApiError && e.reason === 'NotFound') throw notFound(POD_METRICS, `${namespace}/${name}`);
    throw e;
  });
  const [m] = podMetrics(await src.nodes(), [pod], src.now());
  if (!m) throw notFound(POD_METRICS, `${namespace}/${name}`);
  return m;
}

export async function listMetrics(src: MetricsSources, info: KindInfo, namespace: string, labelSelector: string, fieldSelector: string): Promise<KubeObject[]> {
  if (info.kind === 'PodMetrics') return podMetrics(await src.nodes(), await src.pods(namespace, labelSelector, fieldSelector), src.now());
  const labels = parseLabelSelector(labelSelector);
  const fields = parseFieldSelector(fieldSelector, 'Node');
  const out: KubeObject[] = [];
  for (const n of await src.nodes()) {
    if (!labels.matches(n.metadata?.labels) || !fields.matches({ 'metadata.name': n.metadata?.name ?? '' })) continue;
    const m = nodeMetrics(n, src.now());
    if (m) out.push(m);
  }
  return out.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
}
