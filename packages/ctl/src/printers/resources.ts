// Resource arithmetic for printing: a pod's effective requests (as the scheduler counts
// them: the larger of the containers' sum and any one init container), and quantities
// formatted the short way kubectl shows them ("250m", "2", "512Mi").
import { aggregatePodAmount, parseQuantity, type Pod, type Container } from '@tugboat/api';

export interface Amounts {
  /** Thousandths of a core. */
  cpuMilli: number;
  /** Bytes. */
  memory: number;
}

function quantity(q: unknown, milli: boolean): number {
  if (typeof q !== 'string' && typeof q !== 'number') return 0;
  try {
    const parsed = parseQuantity(q);
    return milli ? parsed.milliValue() : parsed.value();
  } catch {
    return 0;
  }
}

function containerAmounts(c: Container, which: 'requests' | 'limits'): Amounts {
  const r = c.resources?.[which] ?? {};
  return { cpuMilli: quantity(r['cpu'], true), memory: quantity(r['memory'], false) };
}

export function podAmounts(pod: Pod, which: 'requests' | 'limits'): Amounts {
  return {
    cpuMilli: aggregatePodAmount(pod.spec, (c) => containerAmounts(c, which).cpuMilli),
    memory: aggregatePodAmount(pod.spec, (c) => containerAmounts(c, which).memory),
  };
}

export function parseCpuMilli(q: unknown): number {
  return quantity(q, true);
}

export function parseBytes(q: unknown): number {
  return quantity(q, false);
}

export function formatCpu(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

const BINARY: [string, number][] = [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20]];

/** Whole binary units when exact ("512Mi", "4Gi"), else rounded to Mi as `kubectl top` does. */
export function formatMemory(bytes: number): string {
  if (bytes === 0) return '0';
  for (const [suffix, size] of BINARY) if (bytes % size === 0) return `${bytes / size}${suffix}`;
  if (bytes >= 2 ** 20) return `${Math.round(bytes / 2 ** 20)}Mi`;
  if (bytes % 1024 === 0) return `${bytes / 1024}Ki`;
  return String(bytes);
}

/** "30%" of a total, or "0%" when the total is unknown. */
export function percent(used: number, total: number): string {
  return total > 0 ? `${Math.round((used * 100) / total)}%` : '0%';
}

/** Pods that still hold their node's resources (not yet finished). */
export function isActivePod(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}
