// Starts a real registry (Debian's docker-registry, the CNCF distribution registry) on a
// free loopback port with a temp storage dir; its access log goes to a file the tests read
// (e.g. to count how often one blob was downloaded).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from './ports.js';

export const REGISTRY_BINARY = 'docker-registry';

export interface RegistryHandle {
  /** `127.0.0.1:PORT`: the domain part of image references. */
  readonly host: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly storageDir: string;
  /** stdout + stderr of the registry: access log and application log. */
  readonly logFile: string;
  readonly process: ChildProcess;
  /** The log so far. */
  log(): string;
  /** How many GET requests for blob `digest` of repository `repo` the registry served. */
  blobGets(repo: string, digest: string): number;
  /** Every GET of any blob, as `repo@digest` strings, in order. */
  blobGetLines(): string[];
  destroy(): Promise<void>;
}

export function registryAvailable(): boolean {
  return spawnSync('which', [REGISTRY_BINARY], { stdio: 'ignore' }).status === 0;
}

/** @param listenHost where it listens (default loopback; a bridge address for --hosts clusters, whose servers have their own loopback). */
export async function startRegistry(listenHost = '127.0.0.1'): Promise<RegistryHandle> {
  const root = mkdtempSync(join(tmpdir(), 'tugboat-registry-'));
  const storageDir = join(root, 'storage');
  const logFile = join(root, 'registry.log');
  const port = await freePort();
  const host = `${listenHost}:${port}`;
  const config = join(root, 'config.yml');
  writeFileSync(config, [
    'version: 0.1',
    'log:',
    '  level: info',
    '  formatter: text',
    '  accesslog:',
    '    disabled: false',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storageDir}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
    '',
  ].join('\n'));
  const fd = openSync(logFile, 'a');
  const proc = spawn(REGISTRY_BINARY, ['serve', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const url = `http://${host}`;
  await waitFor('docker-registry to answer', async () => {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited ${proc.exitCode}: ${readFileSync(logFile, 'utf8')}`);
    const res = await fetch(`${url}/v2/`).catch(() => undefined);
    return !!res && res.status === 200;
  }, 20_000);

  const log = (): string => readFileSync(logFile, 'utf8');
  // The access log is Apache's combined format: `… "GET /v2/<repo>/blobs/<digest> HTTP/1.1" 200 …`.
  const blobGetLines = (): string[] => {
    const out: string[] = [];
    for (const m of log().matchAll(/"GET \/v2\/(\S+)\/blobs\/(sha256:[0-9a-f]{64}) HTTP\/[\d.]+" (\d{3})/g)) {
      if (m[3] === '200' || m[3] === '307') out.push(`${m[1]}@${m[2]}`);
    }
    return out;
  };

  return {
    host,
    url,
    storageDir,
    logFile,
    process: proc,
    log,
    blobGets: (repo, digest) => blobGetLines().filter((l) => l === `${repo}@${digest}`).length,
    blobGetLines,
    async destroy() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}
