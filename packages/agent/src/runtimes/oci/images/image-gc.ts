// Kubelet's image GC decision: which images go when the image disk is too full. Pure but for
// fsUsage; the store removes what this picks, and the node's image GC manager
// (runtimes/image-gc-manager.ts) decides when to run it and which images are in use.
import { statfs } from 'node:fs/promises';
import { DEFAULT_IMAGE_GC_THRESHOLDS } from '../../image-gc-manager.js';
import type { ImageGcThresholds } from '../../runtime.js';
import type { ImageRecord } from './image-record.js';

export interface DiskUsage {
  totalBytes: number;
  usedBytes: number;
}

export type GcThresholds = ImageGcThresholds;

export const DEFAULT_GC_THRESHOLDS: GcThresholds = DEFAULT_IMAGE_GC_THRESHOLDS;

/**
 * Which images GC removes: none below the high threshold; above it, unused images, least
 * recently used first, until the bytes freed bring usage under the low threshold.
 */
export function selectImagesForGc(images: readonly ImageRecord[], inUse: ReadonlySet<string>, usage: DiskUsage, t: GcThresholds): string[] {
  if (usage.totalBytes <= 0) return [];
  const percent = (100 * usage.usedBytes) / usage.totalBytes;
  if (percent < t.highPercent) return [];
  let toFree = usage.usedBytes - (usage.totalBytes * t.lowPercent) / 100;
  const out: string[] = [];
  const candidates = images.filter((i) => !inUse.has(i.reference)).sort((a, b) => a.lastUsedAt.localeCompare(b.lastUsedAt));
  for (const img of candidates) {
    if (toFree <= 0) break;
    out.push(img.reference);
    toFree -= img.size;
  }
  return out;
}

/** How full the filesystem holding `dir` is (statfs). */
export async function fsUsage(dir: string): Promise<DiskUsage> {
  const s = await statfs(dir);
  return { totalBytes: s.blocks * s.bsize, usedBytes: (s.blocks - s.bfree) * s.bsize };
}
