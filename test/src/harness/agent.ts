// An agent a test starts by itself (beside a cluster of `tctl cluster up`, which stops its own
// nodes and their containers): stopping it must take its containers too. An agent leaves its
// containers running when it stops, as kubelet does, so without this a test's process-runtime
// containers and their monitors outlived the run (seen after CI: monitors of the daemonsets and
// join tests' agents).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './cluster.js';

export const AGENT_BIN = join(REPO_ROOT, 'packages', 'agent', 'bin', 'tugboat-agent.js');

/** SIGTERM (SIGKILL after `graceMs`), then `tugboat-agent kill-containers` for its data dir. */
export async function stopAgentAndContainers(agent: ChildProcess | undefined, dataDir: string, graceMs = 5_000): Promise<void> {
  if (agent && agent.exitCode === null && agent.signalCode === null) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => agent.kill('SIGKILL'), graceMs);
      agent.once('exit', () => { clearTimeout(t); resolve(); });
      agent.kill('SIGTERM');
    });
  }
  const res = spawnSync(process.execPath, [AGENT_BIN, 'kill-containers', '--data-dir', dataDir], { encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0) console.error(`kill-containers --data-dir ${dataDir}: ${(res.stderr || res.stdout || String(res.error ?? '')).trim().split('\n').pop() ?? ''}`);
}
