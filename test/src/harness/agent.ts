// An agent a test starts by itself (beside a cluster of `tctl cluster up`, which stops its own
// nodes and their containers): stopping it must take its containers too. An agent leaves its
// containers running when it stops, as kubelet does, so without this a test's process-runtime
// containers and their monitors outlived the run (seen after CI: monitors of the daemonsets and
// join tests' agents).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './cluster.js';

export const AGENT_BIN = join(REPO_ROOT, 'packages', 'agent', 'bin', 'tugboat-agent.js');

/** SIGTERM, SIGKILL after `graceMs`; resolves once the process has exited (at once if it had). */
export function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(t); resolve(); });
    child.kill('SIGTERM');
  });
}

/** terminate(), then `tugboat-agent kill-containers` for its data dir. */
export async function stopAgentAndContainers(agent: ChildProcess | undefined, dataDir: string, graceMs = 5_000): Promise<void> {
  if (agent) await terminate(agent, graceMs);
  const res = spawnSync(process.execPath, [AGENT_BIN, 'kill-containers', '--data-dir', dataDir], { encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0) console.error(`kill-containers --data-dir ${dataDir}: ${(res.stderr || res.stdout || String(res.error ?? '')).trim().split('\n').pop() ?? ''}`);
}
