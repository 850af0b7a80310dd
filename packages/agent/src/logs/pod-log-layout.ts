// Where containers' logs live on the node, the same for every runtime that writes them —
// kubelet's /var/log/pods layout, under the agent's data dir:
//
//   <data-dir>/pod-logs/<namespace>_<name>_<uid>/<container>/<attempt>.log
//                                                           <attempt>.log.1, .2 …  rotated
//
// One tree for the whole node, named by pod, so an operator (or a log shipper) finds a pod's
// logs without knowing the runtime's own ids; the log manager rotates them in place, and a
// pod's directory goes with its sandbox.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readdirOrEmpty } from '@tugboat/api/files';
import type { PodRef } from '../runtimes/runtime.js';

export function podLogsRoot(dataDir: string): string {
  return join(dataDir, 'pod-logs');
}

export function podLogDir(dataDir: string, pod: PodRef): string {
  return join(podLogsRoot(dataDir), `${pod.namespace}_${pod.name}_${pod.uid}`);
}

export function containerLogFile(dataDir: string, pod: PodRef, container: string, attempt: number): string {
  return join(podLogDir(dataDir, pod), container, `${attempt}.log`);
}

/**
 * The log file of a new instance: `<attempt>.log`, unless one exists already — another
 * instance with that attempt number, which only a runtime's direct user makes (the pod
 * worker never repeats one) — then `<attempt>_<unique>.log`, so two never share a file.
 */
export function newContainerLogFile(dataDir: string, pod: PodRef, container: string, attempt: number, unique: string): string {
  const path = containerLogFile(dataDir, pod, container, attempt);
  return existsSync(path) ? join(dirname(path), `${attempt}_${unique}.log`) : path;
}

/** Deletes a container's log and its rotated files (`.1`, `.2`, …). */
export function removeContainerLogFiles(path: string): void {
  const dir = dirname(path);
  const rotated = `${basename(path)}.`;
  rmSync(path, { force: true });
  for (const f of readdirOrEmpty(dir)) if (f.startsWith(rotated)) rmSync(join(dir, f), { force: true });
  // The container's directory, once its last instance's files are gone.
  try { if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true, force: true }); } catch { /* gone */ }
}

/** Deletes every log directory of the pod with this uid (namespace and name need not be known). */
export function removePodLogs(dataDir: string, podUid: string): void {
  const root = podLogsRoot(dataDir);
  for (const d of readdirOrEmpty(root)) if (d.endsWith(`_${podUid}`)) rmSync(join(root, d), { recursive: true, force: true });
}
