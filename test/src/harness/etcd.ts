// Starts a real etcd (Debian's etcd-server) on free loopback ports with a temp data dir.
// Integration tests use it instead of any mock of etcd.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export interface EtcdHandle {
  /** http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly dataDir: string;
  readonly process: ChildProcess;
  /** Stops etcd (SIGTERM) and keeps the data dir: start it again with restart(). */
  stop(): Promise<void>;
  /** Starts etcd again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops etcd and deletes the data dir. */
  destroy(): Promise<void>;
  /** Runs etcdctl against this etcd; returns stdout. */
  etcdctl(...args: string[]): string;
}

export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function startEtcd(): Promise<EtcdHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  let proc: ChildProcess;

  const launch = async (): Promise<void> => {
    proc = spawn('etcd', [
      '--name', 'test',
      '--data-dir', dataDir,
      '--listen-client-urls', endpoint,
      '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `test=http://127.0.0.1:${peerPort}`,
      '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    await waitFor('etcd to answer', async () => {
      if (proc.exitCode !== null) throw new Error(`etcd exited ${proc.exitCode}: ${stderr}`);
      const res = await fetch(`${endpoint}/health`).catch(() => undefined);
      return !!res && res.ok;
    }, 20_000);
  };
  await launch();

  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };

  return {
    endpoint,
    dataDir,
    get process() { return proc; },
    stop,
    restart: launch,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    etcdctl(...args: string[]) {
      const res = spawnSync('etcdctl', ['--endpoints', endpoint, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
      if (res.status !== 0) throw new Error(`etcdctl ${args.join(' ')} failed: ${res.stderr}`);
      return res.stdout;
    },
  };
}
