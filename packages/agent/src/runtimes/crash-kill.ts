// What a machine crash does to a node's containers, for `tugboat-agent kill-containers`
// (`tctl cluster stop-node`), the same for every runtime: SIGKILL to every monitor first
// (conmon, our process monitor) so no exit code gets written, as when the power goes, then
// to every container. Identity is checked (pid + /proc start time), so a reused pid is
// never hit.
import { isSameProcessAlive } from '../system/proc.js';

export interface RecordedProcess {
  pid: number;
  /** /proc start time when recorded: without it any process with the pid counts. */
  startTime?: string | undefined;
}

/** Returns the containers that were alive (and are now sent SIGKILL). */
export function killLikeACrash(monitors: readonly RecordedProcess[], containers: ReadonlyArray<RecordedProcess & { group: boolean }>): RecordedProcess[] {
  for (const m of monitors) {
    if (!isSameProcessAlive(m.pid, m.startTime)) continue;
    try { process.kill(m.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  return containers.filter((c) => {
    if (!isSameProcessAlive(c.pid, c.startTime)) return false;
    try { process.kill(c.group ? -c.pid : c.pid, 'SIGKILL'); return true; } catch { return false; }
  });
}
