// One node for the agent's end-to-end tests with the process runtime: a real etcd and API
// server, the built tugboat-agent serving one node, a data dir and a scratch dir. Tests
// bind pods to `nodeName` and watch what the agent does; `stop` tears it all down, killing
// any container left behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, type ApiServerHandle } from '@tugboat/test';
import { killContainers } from '../runtimes/process/kill-containers.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';

export interface ProcessNode {
  nodeName: string;
  api: ApiServerHandle;
  client: TugboatClient;
  agent: AgentProcess;
  /** The agent's --data-dir. */
  dataDir: string;
  /** A temp dir for the test's own files (removed by stop). */
  work: string;
  stop(): Promise<void>;
}

/** Undefined when etcd is not installed (the caller skips, saying so). */
export async function startProcessNode(prefix: string): Promise<ProcessNode | undefined> {
  if (!etcdAvailable()) return undefined;
  const etcd = await startEtcd();
  const api = await startApiServerInProcess(etcd.endpoint);
  const dataDir = mkdtempSync(join(tmpdir(), `tugboat-agent-${prefix}-`));
  const work = mkdtempSync(join(tmpdir(), `tugboat-${prefix}-work-`));
  const nodeName = `${prefix}-${process.pid}`;
  const stopAll = async (agent?: AgentProcess): Promise<void> => {
    await agent?.kill('SIGTERM');
    killContainers(dataDir);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
    await api.stop();
    await etcd.destroy();
  };
  let agent: AgentProcess;
  try {
    agent = await startAgentProcess({ server: api.address, nodeName, dataDir, runtime: 'process' });
  } catch (e) {
    await stopAll();
    throw e;
  }
  return { nodeName, api, client: api.client(), agent, dataDir, work, stop: () => stopAll(agent) };
}
