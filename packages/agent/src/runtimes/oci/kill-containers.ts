// What a machine crash does to a node's oci containers, for `tctl cluster stop-node`
// (through `tugboat-agent kill-containers`): SIGKILL to every conmon first — so no exit
// code gets written, as when the power goes — then to every container's init process.
// Identity is checked (pid + /proc start time), so a reused pid is never hit.
//
// Then what the reboot after a crash would clear: the node's mounts (container root
// filesystems, pinned namespaces, tmpfs volumes), its pods' network namespaces and their
// CNI state, and its bridge — so the machine is left clean (and `cluster down --purge` can
// delete the data dir), while the records on disk say what ran, for the restarted agent.
import { readdirOrEmpty } from '@tugboat/api/files';
import { isSameProcessAlive } from '../../system/proc.js';
import { killLikeACrash } from '../crash-kill.js';
import { unmountAll } from '../../system/mounts.js';
import { run } from '../../system/subprocess.js';
import { cniDel, netnsDelete, type NodeNetworkConfig } from './network.js';
import { OciPaths, readJson, type SandboxRecord, type StartedRecord } from './records.js';
import { netnsName, sandboxId } from './sandbox.js';

/** Returns how many containers were running (and are now killed). */
export async function killOciContainers(dataDir: string): Promise<number> {
  const paths = new OciPaths(dataDir);
  const started = readdirOrEmpty(paths.containers)
    .map((id) => readJson<StartedRecord>(paths.started(id)))
    .filter((s): s is StartedRecord => s !== undefined);
  // A container's init process is PID 1 of its namespace: its end ends them all.
  const killed = killLikeACrash(
    started.flatMap((s) => (s.conmonPid ? [{ pid: s.conmonPid, startTime: s.conmonStartTime }] : [])),
    started.map((s) => ({ pid: s.pid, startTime: s.pidStartTime, group: false })),
  );
  // The kernel tears a pid namespace down when its init dies; give it a moment.
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline && killed.some((s) => isSameProcessAlive(s.pid, s.startTime))) await new Promise((r) => setTimeout(r, 50));

  const network = readJson<NodeNetworkConfig>(paths.networkConfig);
  for (const uid of readdirOrEmpty(paths.pods)) {
    const rec = readJson<SandboxRecord>(paths.sandbox(uid));
    if (network && rec && !rec.hostNetwork && rec.netnsPath) {
      await cniDel(network, sandboxId(uid), rec.netnsPath, rec.cniResult, rec.portMappings).catch(() => undefined);
    }
    await netnsDelete(netnsName(uid)).catch(() => undefined);
  }
  await unmountAll(paths.root).catch(() => undefined);
  if (network) await run('ip', ['link', 'delete', network.bridge]).catch(() => undefined);
  return killed.length;
}
