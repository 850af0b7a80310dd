// `tugboat-agent kill-containers --data-dir DIR`: what a machine crash does to a node's
// containers, for `tctl cluster stop-node`. Every monitor and every container process group
// recorded under the data dir gets SIGKILL at once — monitors first, so no exit code is
// written, exactly as if the power went. Identity is checked (pid + start time), so a pid
// reused by some other process is never hit.
import { join } from 'node:path';
import { readdirOrEmpty } from '@tugboat/api/files';
import { killLikeACrash } from '../crash-kill.js';
import { podsDir, readJson, type PidRecord } from './records.js';

/** Returns how many containers were running (and are now killed). */
export function killContainers(dataDir: string): number {
  const records: PidRecord[] = [];
  const root = podsDir(dataDir);
  for (const uid of readdirOrEmpty(root)) {
    for (const name of readdirOrEmpty(join(root, uid))) {
      const dir = join(root, uid, name);
      for (const file of readdirOrEmpty(dir)) {
        if (!file.endsWith('.pid')) continue;
        const rec = readJson<PidRecord>(join(dir, file));
        if (rec) records.push(rec);
      }
    }
  }
  // Each container is a process group (the monitor's setsid): the whole group goes.
  return killLikeACrash(
    records.map((r) => ({ pid: r.monitorPid, startTime: r.monitorStartTime })),
    records.map((r) => ({ pid: r.pid, startTime: r.startTime, group: true })),
  ).length;
}
