// One node for the agent's end-to-end tests with the process runtime: a real etcd and API
// server, the built tugboat-agent serving one node, a data dir and a scratch dir. Tests
// bind pods to `nodeName` and watch what the agent does; `stop` tears it all down, killing
// any container left behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestFn } from 'ava';
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

async function startProcessNode(prefix: string): Promise<ProcessNode> {
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

/**
 * A test file's node: started before its tests and stopped after them. Read it inside a
 * test only (it throws before it started). `maybe` is test.serial, or test.skip with the
 * reason printed where etcd is not installed.
 */
export function useProcessNode(test: TestFn, prefix: string): { node: () => ProcessNode; maybe: TestFn['serial'] | TestFn['skip'] } {
  let node: ProcessNode | undefined;
  const available = etcdAvailable();
  if (!available) console.log(`${prefix} end-to-end tests skipped: etcd is not installed`);
  test.before(async () => { if (available) node = await startProcessNode(prefix); });
  test.after.always(async () => { await node?.stop(); });
  return {
    node: () => {
      if (!node) throw new Error('the test node is not running');
      return node;
    },
    maybe: available ? test.serial : test.skip,
  };
}
