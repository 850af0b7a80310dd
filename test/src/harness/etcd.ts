// Starts a real etcd (Debian's etcd-server) on free loopback ports with a temp data dir.
// Integration tests use it instead of any mock of etcd. With `{ tls: true }` it serves https
// only and demands a client certificate (as a production etcd should), from a CA made for it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

/** An etcd's TLS material: its CA, and a client certificate (CN tugboat-apiserver) it accepts. */
export interface EtcdTlsMaterial {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

export interface EtcdOptions {
  /** Serve https only, with client-certificate authentication (default: plaintext http). */
  readonly tls?: boolean;
}

export interface EtcdHandle {
  /** http://127.0.0.1:PORT, or https://127.0.0.1:PORT with TLS. */
  readonly endpoint: string;
  readonly dataDir: string;
  /** Present when started with `{ tls: true }`. */
  readonly tls: EtcdTlsMaterial | undefined;
  readonly process: ChildProcess;
  /** Stops etcd (SIGTERM) and keeps the data dir: start it again with restart(). */
  stop(): Promise<void>;
  /** Starts etcd again on the same port and data dir. */
  restart(): Promise<void>;
  /** Stops etcd and deletes the data dir. */
  destroy(): Promise<void>;
  /** Runs etcdctl against this etcd (with the client certificate under TLS); returns stdout. */
  etcdctl(...args: string[]): string;
}

export function etcdAvailable(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** A CA for this etcd, its server certificate and a client certificate, as files 0600. */
async function makeEtcdPki(): Promise<{ dir: string; material: EtcdTlsMaterial; serverCertFile: string; serverKeyFile: string }> {
  // Loaded only here: tests on plaintext etcd never pay for the X.509 library.
  const { createCa, issueCertificate, writePrivateFile } = await import('@tugboat/api/pki');
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-etcd-pki-'));
  const ca = await createCa('tugboat-etcd-ca');
  const server = await issueCertificate(ca, { commonName: 'etcd', usage: 'server', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const client = await issueCertificate(ca, { commonName: 'tugboat-apiserver', usage: 'client' });
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writePrivateFile(path, text);
    return path;
  };
  const material: EtcdTlsMaterial = {
    caPem: ca.certPem,
    certPem: client.certPem,
    keyPem: client.keyPem,
    caFile: file('ca.crt', ca.certPem),
    certFile: file('client.crt', client.certPem),
    keyFile: file('client.key', client.keyPem),
  };
  return { dir, material, serverCertFile: file('server.crt', server.certPem), serverKeyFile: file('server.key', server.keyPem) };
}

/** GET https://…/health with the client certificate (fetch cannot present one). */
function healthOverTls(endpoint: string, tls: EtcdTlsMaterial): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsRequest(`${endpoint}/health`, { ca: tls.caPem, cert: tls.certPem, key: tls.keyPem, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function startEtcd(options: EtcdOptions = {}): Promise<EtcdHandle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-etcd-'));
  let clientPort = await freePort();
  let peerPort = await freePort();
  const pki = options.tls ? await makeEtcdPki() : undefined;
  const tls = pki?.material;
  const scheme = tls ? 'https' : 'http';
  let endpoint = `${scheme}://127.0.0.1:${clientPort}`;
  const tlsArgs = pki ? [
    '--cert-file', pki.serverCertFile,
    '--key-file', pki.serverKeyFile,
    '--client-cert-auth',
    '--trusted-ca-file', pki.material.caFile,
  ] : [];
  const etcdctlTlsArgs = tls ? ['--cacert', tls.caFile, '--cert', tls.certFile, '--key', tls.keyFile] : [];
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
      ...tlsArgs,
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    await waitFor('etcd to answer', async () => {
      if (proc.exitCode !== null) throw new Error(`etcd exited ${proc.exitCode}: ${stderr}`);
      if (tls) return healthOverTls(endpoint, tls);
      const res = await fetch(`${endpoint}/health`).catch(() => undefined);
      return !!res && res.ok;
    }, 20_000);
  };
  // A free port can be taken by another test's process between freePort() and etcd's bind
  // (tests run two at a time): etcd then exits "address already in use". The first start
  // tries fresh ports, up to three times; a restart keeps its ports (the member's data names them).
  for (let attempt = 1; ; attempt++) {
    try {
      await launch();
      break;
    } catch (e) {
      if (attempt >= 3 || !/address already in use/.test(String(e))) throw e;
      rmSync(dataDir, { recursive: true, force: true });
      clientPort = await freePort();
      peerPort = await freePort();
      endpoint = `${scheme}://127.0.0.1:${clientPort}`;
    }
  }

  const stop = async (): Promise<void> => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };

  return {
    endpoint,
    dataDir,
    tls,
    get process() { return proc; },
    stop,
    restart: launch,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
      if (pki) rmSync(pki.dir, { recursive: true, force: true });
    },
    etcdctl(...args: string[]) {
      const res = spawnSync('etcdctl', ['--endpoints', endpoint, ...etcdctlTlsArgs, ...args], { encoding: 'utf8', env: { ...process.env, ETCDCTL_API: '3' } });
      if (res.status !== 0) throw new Error(`etcdctl ${args.join(' ')} failed: ${res.stderr}`);
      return res.stdout;
    },
  };
}

/** One member of an etcd cluster started by startEtcdCluster. */
export interface EtcdMember {
  readonly name: string;
  /** http://127.0.0.1:PORT (client). */
  readonly endpoint: string;
  readonly process: ChildProcess;
  /** Sends the signal (SIGKILL: a crash) and waits for the process to exit; the data dir stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on its ports and data dir; resolves once it answers /health. */
  restart(): Promise<void>;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  readonly endpoints: readonly string[];
  /** Kills every member and deletes their data dirs. */
  destroy(): Promise<void>;
}

/**
 * An etcd cluster of `size` members on free loopback ports (plaintext), each with its own data
 * dir, started together (a member answers /health only once a leader is elected). Election
 * timings are the ones `tctl cluster up --etcd-members` gives its members (heartbeat 50 ms,
 * election 500 ms: loopback needs no LAN margins).
 */
export async function startEtcdCluster(size: number): Promise<EtcdCluster> {
  const specs = await Promise.all(Array.from({ length: size }, async (_v, i) => ({
    name: `m${i}`,
    dataDir: mkdtempSync(join(tmpdir(), `tugboat-etcd-m${i}-`)),
    client: `http://127.0.0.1:${await freePort()}`,
    peer: `http://127.0.0.1:${await freePort()}`,
  })));
  const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(',');
  const members = specs.map((s) => {
    let proc!: ChildProcess;
    let stderr = '';
    const spawnIt = (): void => {
      stderr = '';
      proc = spawn('etcd', [
        '--name', s.name, '--data-dir', s.dataDir,
        '--listen-client-urls', s.client, '--advertise-client-urls', s.client,
        '--listen-peer-urls', s.peer, '--initial-advertise-peer-urls', s.peer,
        '--initial-cluster', initialCluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'tugboat-test',
        '--heartbeat-interval', '50', '--election-timeout', '500',
        '--log-level', 'error',
      ], { stdio: ['ignore', 'ignore', 'pipe'] });
      proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    };
    const healthy = async (): Promise<boolean> => {
      if (proc.exitCode !== null) throw new Error(`etcd member ${s.name} exited ${proc.exitCode}: ${stderr}`);
      const res = await fetch(`${s.client}/health`).catch(() => undefined);
      return !!res && res.ok;
    };
    const member: EtcdMember & { spawnIt(): void; healthy(): Promise<boolean>; dataDir: string } = {
      name: s.name,
      endpoint: s.client,
      dataDir: s.dataDir,
      get process() { return proc; },
      spawnIt,
      healthy,
      async kill(signal: NodeJS.Signals = 'SIGKILL') {
        if (proc.exitCode !== null || proc.signalCode !== null) return;
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill(signal);
        await exited;
      },
      async restart() {
        spawnIt();
        await waitFor(`etcd member ${s.name} to answer`, healthy, 20_000);
      },
    };
    return member;
  });
  for (const m of members) m.spawnIt();
  await Promise.all(members.map((m) => waitFor(`etcd member ${m.name} to answer`, () => m.healthy(), 30_000)));
  return {
    members,
    endpoints: members.map((m) => m.endpoint),
    async destroy() {
      await Promise.all(members.map((m) => m.kill('SIGKILL')));
      for (const m of members) rmSync(m.dataDir, { recursive: true, force: true });
    },
  };
}
