// The process runtime's records on disk — the truth about containers, read back by a
// restarted agent:
//
//   <data-dir>/containers/<pod-uid>/pod.json                     sandbox: pod uid/namespace/name, ip
//   <data-dir>/containers/<pod-uid>/<container>/<attempt>.json   what to run (written by the runtime)
//   <data-dir>/containers/<pod-uid>/<container>/<attempt>.pid    pid + /proc start time (written by the monitor once running)
//   <data-dir>/containers/<pod-uid>/<container>/<attempt>.exit   exit code, time (written by the monitor when it ended)
//   <data-dir>/pod-logs/<ns>_<name>_<uid>/<container>/<attempt>.log   stdout/stderr, CRI format (logs/cri-log.ts,
//                                                                 logs/pod-log-layout.ts; the record names it)
//
// Every record is written to a temp file and renamed, so a reader never sees half of one.
// Node built-ins only (and @tugboat/api/files, which is too): the container monitor imports this.
import { join } from 'node:path';
import type { ContainerRecordBase } from '../container-record.js';
import type { TerminationReason } from '../runtime.js';

export interface PodRecord {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  hostname?: string;
  createdAt: string;
}

export interface ContainerRecord extends ContainerRecordBase {
  /** The full argv: command followed by args. */
  argv: string[];
  /** What argv[0] resolved to when the runtime checked it (absolute path). */
  executable: string;
  env: { name: string; value: string }[];
  workingDir?: string;
}

export interface PidRecord {
  pid: number;
  /** /proc/<pid>/stat start time: a pid alone can be reused. */
  startTime?: string;
  monitorPid: number;
  monitorStartTime?: string;
  startedAt: string;
  /** The signal that makes the monitor open its log path again; monitors from before it have none. */
  logReopenSignal?: typeof LOG_REOPEN_SIGNAL;
}

/** What the runtime sends the monitor after the log manager rotated its log. */
export const LOG_REOPEN_SIGNAL = 'SIGUSR1';

export interface ExitRecord {
  exitCode: number;
  /** The signal that ended the process, if one did. */
  signal?: string;
  finishedAt: string;
  reason?: TerminationReason;
  message?: string;
}

export function podsDir(dataDir: string): string {
  return join(dataDir, 'containers');
}

export function podDir(dataDir: string, podUid: string): string {
  return join(podsDir(dataDir), podUid);
}

export function containerDir(dataDir: string, podUid: string, name: string): string {
  return join(podDir(dataDir, podUid), name);
}

export type RecordKind = 'json' | 'pid' | 'exit' | 'log' | 'monitor.log';

export function recordPath(dir: string, attempt: number, kind: RecordKind): string {
  return join(dir, `${attempt}.${kind}`);
}

export { readJson, writeJsonAtomic } from '@tugboat/api/files';

/** `<pod-uid>_<container>_<attempt>`: container names (DNS labels) never hold '_', but uids (nanoid) may. */
export function containerId(podUid: string, name: string, attempt: number): string {
  return `${podUid}_${name}_${attempt}`;
}

export function parseContainerId(id: string): { podUid: string; name: string; attempt: number } | undefined {
  // The uid is everything before the last two fields: nanoid uids contain '_' themselves.
  const m = /^([^/]+)_([^_/]+)_(\d+)$/.exec(id);
  if (!m || m[1] === undefined || m[2] === undefined || m[3] === undefined) return undefined;
  return { podUid: m[1], name: m[2], attempt: Number(m[3]) };
}
