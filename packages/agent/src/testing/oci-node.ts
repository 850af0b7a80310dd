// One node for the agent's end-to-end tests with real containers: a real etcd and API
// server, a local registry holding the busybox test image, and the built tugboat-agent with
// `--runtime oci` on its own pod CIDR. No controllers run, so it makes what they would: the
// `kube-root-ca.crt` ConfigMap (the cluster CA) in `default`, which every pod's projected
// ServiceAccount volume reads. `stop` removes everything the node made: containers,
// sandboxes, its bridge, mounts, the registry and the temp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError, ROOT_CA_CONFIGMAP, type TugboatClient } from '@tugboat/api';
import {
  buildOciImage, busyboxImageSpec, etcdAvailable, pushImage, startApiServerInProcess, startEtcd, startRegistry,
  type ApiServerHandle, type RegistryHandle,
} from '@tugboat/test';
import { unmountAll } from '../system/mounts.js';
import { killOciContainers } from '../runtimes/oci/kill-containers.js';
import { OciRuntime } from '../runtimes/oci/oci-runtime.js';
import { findExecutable } from '../runtimes/oci/runc.js';
import { startAgentProcess, type AgentProcess } from './agent-process.js';

/** Why real containers cannot run here, or undefined when they can. */
export function ociSkipReason(): string | undefined {
  return process.getuid?.() !== 0 ? 'not root: the oci runtime needs root'
    : !findExecutable(['runc']) ? 'runc is not installed'
      : !etcdAvailable() ? 'etcd is not installed' : undefined;
}

export interface OciNode {
  api: ApiServerHandle;
  client: TugboatClient;
  registry: RegistryHandle;
  /** The busybox test image in the registry (`HOST:PORT/test/busybox:1`). */
  image: string;
  agent: AgentProcess;
  /** Temp dir; the agent's data dir is `work/data`. */
  work: string;
  stop(log: (msg: string) => void): Promise<void>;
}

export async function startOciNode(opts: { nodeName: string; podCIDR: string; args?: string[] }): Promise<OciNode> {
  const work = mkdtempSync(join(tmpdir(), 'agent-oci-'));
  const dataDir = join(work, 'data');
  const etcd = await startEtcd();
  const api = await startApiServerInProcess(etcd.endpoint);
  // The root CA publisher's ConfigMap, before any pod needs it.
  await api.client().create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace: 'default' }, data: { 'ca.crt': api.pki.ca.certPem } })
    .catch((e: unknown) => { if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e; });
  const registry = await startRegistry();
  buildOciImage(join(work, 'layout'), '1', busyboxImageSpec());
  const image = `${registry.host}/test/busybox:1`;
  pushImage(join(work, 'layout'), '1', image);
  let agent: AgentProcess;
  try {
    agent = await startAgentProcess({ server: api.address, nodeName: opts.nodeName, dataDir, runtime: 'oci', args: ['--pod-cidr', opts.podCIDR, ...(opts.args ?? [])] });
  } catch (e) {
    // An agent that never served (a loaded machine) must not leave the registry and etcd behind.
    await killOciContainers(dataDir).catch(() => undefined);
    await api.stop();
    await etcd.destroy();
    await registry.destroy();
    rmSync(work, { recursive: true, force: true });
    throw e;
  }
  const stop = async (log: (msg: string) => void): Promise<void> => {
    await agent.kill('SIGTERM');
    // Whatever pods are left: their containers, sandboxes and the node's bridge go.
    await killOciContainers(dataDir);
    const rt = await OciRuntime.create({ dataDir, nodeName: opts.nodeName, hostIP: '127.0.0.1', podCIDR: opts.podCIDR });
    for (const s of await rt.listSandboxes()) await rt.removeSandbox(s.pod.uid).catch((e: unknown) => log(String(e)));
    await rt.removeNodeNetwork().catch(() => undefined);
    await rt.close();
    await unmountAll(work);
    await api.stop();
    await etcd.destroy();
    await registry.destroy();
    rmSync(work, { recursive: true, force: true });
  };
  return { api, client: api.client(), registry, image, agent, work, stop };
}
