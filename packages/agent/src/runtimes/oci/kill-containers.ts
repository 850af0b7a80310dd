// What a machine crash does to a node's oci containers, for `tctl cluster stop-node`
// (through `tugboat-agent kill-containers`): SIGKILL to every conmon first — so no exit
// code gets written, as when the power goes — then to every container's init process.
// Identity is checked (pid + /proc start time), so a reused pid is never hit.
import { readdirSync } from 'node:fs';
import { isSameProcessAlive } from '../process/proc.js';
import { OciPaths, readJson, type StartedRecord } from './records.js';

/** Returns how many containers were running (and are now killed). */
export function killOciContainers(dataDir: string): number {
  const paths = new OciPaths(dataDir);
  let ids: string[];
  try {
    ids = readdirSync(paths.containers);
  } catch {
    return 0;
  }
  const started = ids.map((id) => readJson<StartedRecord>(paths.started(id))).filter((s): s is StartedRecord => s !== undefined);
  for (const s of started) {
    if (s.conmonPid && isSameProcessAlive(s.conmonPid, s.conmonStartTime)) {
      try { process.kill(s.conmonPid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  let killed = 0;
  for (const s of started) {
    if (!isSameProcessAlive(s.pid, s.pidStartTime)) continue;
    try { process.kill(s.pid, 'SIGKILL'); killed++; } catch { /* already gone */ }
  }
  return killed;
}
