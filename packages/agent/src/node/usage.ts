// Usage reports: the node's cpu and memory (from /proc for real runtimes, or the sum of its
// pods for hollow nodes) and each pod's, from the runtime's stats. CPU is a rate, so each
// figure comes from two samples of cumulative cpu time.
import { formatBytes, formatMilliCpu } from '@tugboat/api';
import type { ContainerInfo, Runtime } from '../runtimes/runtime.js';
import { readCpuTimes, readMemoryInUse, type CpuTimes } from '../system/proc.js';

export interface Usage {
  /** Millicores. */
  cpuMilli: number;
  memoryBytes: number;
}

export interface UsageReport {
  node: Usage;
  /** By "namespace/name". */
  pods: Map<string, Usage & { containers: Map<string, Usage> }>;
}

/** `{cpu: "250m", memory: "512Mi"}` as kubectl top would print it. */
export function formatUsage(u: Usage): { cpu: string; memory: string } {
  const mi = 1024 * 1024;
  // Whole Mi above 1 Mi, whole Ki below: precise enough, and short.
  const memory = u.memoryBytes >= mi ? Math.round(u.memoryBytes / mi) * mi : Math.round(u.memoryBytes / 1024) * 1024;
  return { cpu: formatMilliCpu(Math.max(0, Math.round(u.cpuMilli))), memory: formatBytes(Math.max(0, memory)) };
}

/** The cpu rate between two cumulative samples, millicores. */
export function cpuRateMilli(prevNs: number, prevAt: number, curNs: number, curAt: number): number {
  const dt = curAt - prevAt;
  if (dt <= 0 || curNs < prevNs) return 0;
  return ((curNs - prevNs) / 1e6 / dt) * 1000;
}

export function nodeCpuMilli(prev: CpuTimes, cur: CpuTimes, cores: number): number {
  const total = cur.total - prev.total;
  if (total <= 0) return 0;
  return ((cur.busy - prev.busy) / total) * cores * 1000;
}

export class UsageCollector {
  private readonly containerSamples = new Map<string, { ns: number; at: number }>();
  private nodeSample: CpuTimes | undefined;

  constructor(private readonly runtime: Runtime, private readonly source: 'host' | 'pods', private readonly cores: number) {
    if (source === 'host') this.nodeSample = readCpuTimes();
  }

  async collect(containers: readonly ContainerInfo[]): Promise<UsageReport> {
    const pods: UsageReport['pods'] = new Map();
    const seen = new Set<string>();
    for (const c of containers) {
      if (c.state !== 'running') continue;
      const st = await this.runtime.stats(c.id).catch(() => undefined);
      if (!st) continue;
      seen.add(c.id);
      const at = st.timestamp.getTime();
      const prev = this.containerSamples.get(c.id);
      this.containerSamples.set(c.id, { ns: st.cpuUsageCoreNanoSeconds, at });
      // First sample: the average since the container started.
      const startedAt = (c.startedAt ?? c.createdAt).getTime();
      const cpuMilli = prev ? cpuRateMilli(prev.ns, prev.at, st.cpuUsageCoreNanoSeconds, at) : cpuRateMilli(0, startedAt, st.cpuUsageCoreNanoSeconds, at);
      const key = `${c.pod.namespace}/${c.pod.name}`;
      const pod = pods.get(key) ?? { cpuMilli: 0, memoryBytes: 0, containers: new Map<string, Usage>() };
      pod.cpuMilli += cpuMilli;
      pod.memoryBytes += st.memoryWorkingSetBytes;
      pod.containers.set(c.name, { cpuMilli, memoryBytes: st.memoryWorkingSetBytes });
      pods.set(key, pod);
    }
    for (const id of this.containerSamples.keys()) if (!seen.has(id)) this.containerSamples.delete(id);
    let node: Usage;
    if (this.source === 'host') {
      const cur = readCpuTimes();
      const cpuMilli = cur && this.nodeSample ? nodeCpuMilli(this.nodeSample, cur, this.cores) : 0;
      if (cur) this.nodeSample = cur;
      node = { cpuMilli, memoryBytes: readMemoryInUse() ?? 0 };
    } else {
      node = { cpuMilli: 0, memoryBytes: 0 };
      for (const p of pods.values()) { node.cpuMilli += p.cpuMilli; node.memoryBytes += p.memoryBytes; }
    }
    return { node, pods };
  }
}

/** The annotations usage is published in (see the README). */
export function usageAnnotations(report: UsageReport, at: Date): { node: string; pods: string } {
  const pods: Record<string, { cpu: string; memory: string; containers: Record<string, { cpu: string; memory: string }> }> = {};
  for (const [key, p] of [...report.pods].sort(([a], [b]) => a.localeCompare(b))) {
    const containers: Record<string, { cpu: string; memory: string }> = {};
    for (const [name, u] of p.containers) containers[name] = formatUsage(u);
    pods[key] = { ...formatUsage(p), containers };
  }
  return {
    node: JSON.stringify({ ...formatUsage(report.node), timestamp: at.toISOString() }),
    pods: JSON.stringify(pods),
  };
}
