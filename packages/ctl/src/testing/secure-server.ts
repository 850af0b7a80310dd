// For tctl's tests against a real TLS API server (in this process, on a real etcd): a temp
// $TUGBOAT_HOME whose config.json points at the admin's kubeconfig, as `tctl cluster up`
// leaves it, and a way to run tctl in-process and read what it printed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServerInProcess, startEtcd, type ApiServerHandle, type EtcdHandle } from '@tugboat/test';
import { runTctl, type TctlRun } from './run-tctl.js';

export type { TctlRun };

export interface SecureServer {
  readonly api: ApiServerHandle;
  /** HOST:PORT (loopback). */
  readonly address: string;
  /** A $TUGBOAT_HOME with config.json { server, kubeconfig: the admin's }. */
  readonly home: string;
  /** The admin's kubeconfig (system:masters). */
  readonly adminKubeconfig: string;
  /** A kubeconfig for `name` in `groups` (a client certificate from the cluster CA). */
  userKubeconfig(name: string, groups?: readonly string[]): Promise<string>;
  /** tctl in-process with TUGBOAT_HOME set (more env merged in). */
  tctl(argv: readonly string[], env?: Record<string, string>, stdin?: string): Promise<TctlRun>;
  /** A fresh temp dir, removed by stop(). */
  tempDir(prefix: string): string;
  stop(): Promise<void>;
}

export async function startSecureServer(options: { listen?: string } = {}): Promise<SecureServer> {
  const etcd: EtcdHandle = await startEtcd();
  let api: ApiServerHandle;
  try {
    api = await startApiServerInProcess(etcd.endpoint, options.listen ? { listen: options.listen } : {});
  } catch (e) {
    await etcd.destroy();
    throw e;
  }
  const port = api.address.slice(api.address.lastIndexOf(':') + 1);
  const address = `127.0.0.1:${port}`;
  const dirs: string[] = [];
  const tempDir = (prefix: string): string => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  const home = tempDir('tctl-secure-');
  const adminKubeconfig = api.pki.kubeconfig(address, api.pki.admin, 'tugboat-test-admin');
  writeFileSync(join(home, 'config.json'), JSON.stringify({ server: address, kubeconfig: adminKubeconfig }));
  return {
    api,
    address,
    home,
    adminKubeconfig,
    async userKubeconfig(name, groups = []) {
      return api.pki.kubeconfig(address, await api.pki.user(name, groups), name);
    },
    tctl: (argv, env = {}, stdin = '') => runTctl(argv, { TUGBOAT_HOME: home, ...env }, { cwd: home, stdin }),
    tempDir,
    async stop() {
      await api.stop();
      await etcd.destroy();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
