// The node's container log manager (kubelet's ContainerLogManager): every container's CRI
// log file, whichever runtime writes it, rotated by size so a chatty container cannot fill
// the disk. Runtimes say where a container's log is (containerLogPath) and reopen it on
// request (reopenContainerLog, CRI's ReopenContainerLog); the manager does the rest:
//
//   every interval: running containers ─▶ log ≥ maxBytes? ─▶ log.(n-1) → log.n … log → log.1
//                                                           (the oldest beyond maxFiles goes)
//                                                        ─▶ the runtime reopens log: a new file
//
// Readers (runtime.logs, `tctl logs`) read the path, so they see the new file at once.
import { rename, rm, stat } from 'node:fs/promises';
import type { Runtime } from '../runtimes/runtime.js';
import { PeriodicTask } from '../system/periodic-task.js';

/** Kubelet's containerLogMaxSize default, 10 MiB. */
export const DEFAULT_CONTAINER_LOG_MAX_BYTES = 10 * 1024 * 1024;
/** Kubelet's containerLogMaxFiles default: the live file and four rotated ones. */
export const DEFAULT_CONTAINER_LOG_MAX_FILES = 5;
/** How often logs are looked at (kubelet: containerLogMonitorInterval, 10 s). */
export const DEFAULT_LOG_MONITOR_INTERVAL_MS = 10_000;

export interface ContainerLogManagerOptions {
  runtime: Runtime;
  /** Rotate a container's log when it reaches this size (containerLogMaxSize). */
  maxBytes?: number;
  /** Files kept per container, the live one included (containerLogMaxFiles). */
  maxFiles?: number;
  /** How often logs are checked; 0 means only when rotateAll is called. */
  intervalMs?: number;
  log?: (message: string) => void;
}

/**
 * The renames that rotate `log` keeping `maxFiles` files in all, oldest first, so none
 * overwrites a file not yet moved: log.(maxFiles-2) → log.(maxFiles-1), …, log → log.1.
 * With maxFiles 1 nothing is kept: the live file is deleted instead (see rotateFile).
 */
export function rotationRenames(log: string, maxFiles: number): Array<{ from: string; to: string }> {
  const out: Array<{ from: string; to: string }> = [];
  for (let n = maxFiles - 1; n >= 1; n--) out.push({ from: n === 1 ? log : `${log}.${n - 1}`, to: `${log}.${n}` });
  return out;
}

/** Rotates one log file: the oldest kept file goes, the rest shift up, the live one becomes `.1`. */
export async function rotateFile(log: string, maxFiles: number): Promise<void> {
  if (maxFiles <= 1) {
    await rm(log, { force: true });
    return;
  }
  await rm(`${log}.${maxFiles - 1}`, { force: true });
  // A missing older file (fewer rotations so far) is nothing to move.
  for (const { from, to } of rotationRenames(log, maxFiles)) await rename(from, to).catch(() => undefined);
}

export class ContainerLogManager {
  readonly maxBytes: number;
  readonly maxFiles: number;
  private readonly runtime: Runtime;
  private readonly task: PeriodicTask;

  constructor(o: ContainerLogManagerOptions) {
    this.runtime = o.runtime;
    this.maxBytes = o.maxBytes ?? DEFAULT_CONTAINER_LOG_MAX_BYTES;
    this.maxFiles = Math.max(1, o.maxFiles ?? DEFAULT_CONTAINER_LOG_MAX_FILES);
    this.task = new PeriodicTask('log rotation', o.intervalMs ?? DEFAULT_LOG_MONITOR_INTERVAL_MS, () => this.rotateAll(), o.log ?? (() => undefined));
  }

  /** Whether the runtime writes log files this manager can rotate (the fake runtime does not). */
  get supported(): boolean {
    return this.runtime.containerLogPath !== undefined && this.runtime.reopenContainerLog !== undefined;
  }

  start(): void {
    if (this.supported) this.task.start();
  }

  /** Stops the timer and waits for a rotation under way. */
  stop(): Promise<void> {
    return this.task.stop();
  }

  /** One pass over the running containers; returns how many logs were rotated. */
  async rotateAll(): Promise<number> {
    const { containerLogPath, reopenContainerLog } = this.runtime;
    if (!containerLogPath || !reopenContainerLog) return 0;
    let rotated = 0;
    for (const info of await this.runtime.listContainers()) {
      // An exited container writes no more; its files are removed with it.
      if (info.state !== 'running') continue;
      const log = containerLogPath.call(this.runtime, info.id);
      if (!log) continue;
      const size = await stat(log).then((s) => s.size, () => 0);
      if (size < this.maxBytes) continue;
      await rotateFile(log, this.maxFiles);
      await reopenContainerLog.call(this.runtime, info.id);
      rotated++;
    }
    return rotated;
  }
}
