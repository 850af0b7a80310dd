// Small helpers for the end-to-end tests: manifests, polling, and finding a pod's processes
// on this machine (the process runtime runs containers as host processes).
import { readdirSync, readFileSync } from 'node:fs';
import type { KubeObject, Pod } from '@tugboat/api';
import type { LocalClusterHandle } from '../harness/cluster.js';

export interface PodView {
  metadata: { name: string; uid: string; deletionTimestamp?: string; labels?: Record<string, string> };
  spec: { nodeName?: string; containers: { name: string; env?: { name: string; value?: string }[] }[] };
  status: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: { restartCount: number; state?: { waiting?: { reason?: string }; terminated?: { exitCode: number } } }[];
  };
}

/** Polls `fn` until it returns something other than undefined/false. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** `tctl apply -f -` with the manifest; throws with tctl's stderr when it fails. */
export async function applyManifest(cluster: LocalClusterHandle, manifest: string): Promise<void> {
  const res = await cluster.tctl(['apply', '-f', '-'], manifest);
  if (res.code !== 0) throw new Error(`apply failed: ${res.stderr}`);
}

export async function podsOf(cluster: LocalClusterHandle, selector: string, namespace = 'default'): Promise<PodView[]> {
  const res = await cluster.tctl(['get', 'pods', '-n', namespace, '-l', selector, '-o', 'json']);
  if (res.code !== 0) throw new Error(res.stderr);
  return (JSON.parse(res.stdout) as { items: PodView[] }).items;
}

/** Live (not zombie) processes whose environment has POD_UID=uid. */
export function processesOf(uid: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${entry}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`POD_UID=${uid}`)) found.push(Number(entry));
    } catch { /* gone meanwhile, or not ours to read */ }
  }
  return found;
}

export type PodItem = Pod & KubeObject;

/**
 * Follows the pods matching `selector` through the API (list, then watch from its
 * resourceVersion) and calls `onChange` with all of them after the list and after every
 * change, so a test sees each state the cluster went through, not samples of it.
 */
export async function followPods(cluster: LocalClusterHandle, selector: string, onChange: (pods: readonly PodItem[]) => void, namespace = 'default'): Promise<{ stop: () => Promise<void> }> {
  const client = cluster.client();
  const list = await client.list<PodItem>('pods', { namespace, labelSelector: selector });
  const pods = new Map(list.items.map((p) => [p.metadata?.name ?? '', p]));
  onChange([...pods.values()]);
  const watch = client.watch<PodItem>('pods', { namespace, labelSelector: selector, resourceVersion: list.resourceVersion });
  const watching = (async () => {
    for await (const ev of watch) {
      const name = ev.object.metadata?.name ?? '';
      if (ev.type === 'DELETED') pods.delete(name);
      else if (ev.type !== 'BOOKMARK') pods.set(name, ev.object);
      onChange([...pods.values()]);
    }
  })();
  return {
    stop: async () => {
      watch.close();
      await watching.catch(() => undefined);
      client.close();
    },
  };
}

export interface DeploymentOptions {
  replicas: number;
  maxSurge?: number;
  maxUnavailable?: number;
  /** VERSION env value: changing it is a new pod template. */
  env?: string;
  cpu?: string;
  /** Only these nodes (required node affinity on kubernetes.io/hostname), e.g. the real ones beside hollow nodes. */
  nodes?: readonly string[];
}

/** A Deployment whose pods sleep, carry their uid in POD_UID (downward API) and stop fast. */
export function deployment(name: string, o: DeploymentOptions): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${o.replicas}
  selector:
    matchLabels: {app: ${name}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: ${o.maxSurge ?? 1}, maxUnavailable: ${o.maxUnavailable ?? 0}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      terminationGracePeriodSeconds: 2${o.nodes ? `
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
            - matchExpressions:
              - {key: kubernetes.io/hostname, operator: In, values: [${o.nodes.join(', ')}]}` : ''}
      containers:
      - name: main
        image: busybox
        command: ["sleep", "3600"]
        env:
        - name: VERSION
          value: "${o.env ?? 'v1'}"
        - name: POD_UID
          valueFrom:
            fieldRef: {fieldPath: metadata.uid}
        resources:
          requests: {cpu: ${o.cpu ?? '100m'}, memory: 16Mi}
`;
}
