// The tugboat-agent binary's command line: --help, bad flags, kill-containers.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessRuntime } from './runtimes/process/process-runtime.js';
import { killContainers } from './runtimes/process/kill-containers.js';
import { isSameProcessAlive } from './runtimes/process/proc.js';

const BIN = fileURLToPath(new URL('../bin/tugboat-agent.js', import.meta.url));
const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('--help prints usage and exits 0', (t) => {
  const r = run('--help');
  t.is(r.status, 0);
  t.true(r.stdout.includes('tugboat-agent --server ADDR --node-name NAME'));
  t.true(r.stdout.includes('kill-containers --data-dir DIR'));
});

test('a bad flag is one line on stderr and exit 2', (t) => {
  const r = run('--bogus');
  t.is(r.status, 2);
  t.is(r.stderr, 'tugboat-agent: unknown flag --bogus (see --help)\n');
  t.is(run('--runtime', 'vm').status, 2);
});

test('kill-containers SIGKILLs every container recorded under the data dir', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-agent-kill-'));
  t.teardown(() => { killContainers(dataDir); rmSync(dataDir, { recursive: true, force: true }); });
  const rt = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  const pod = { uid: 'kill-uid', namespace: 'default', name: 'p' };
  const sb = await rt.createSandbox({ pod, hostname: 'p', hostNetwork: true, labels: {}, annotations: {} });
  const base = { pod, attempt: 0, image: 'x', imageRef: 'x', args: [], env: [], resources: {}, annotations: {} };
  const a = await rt.startContainer(sb, { ...base, name: 'a', command: ['sleep', '1000'] });
  const b = await rt.startContainer(sb, { ...base, name: 'b', command: ['sh', '-c', 'sleep 1000; echo never'] });
  t.true(isSameProcessAlive(a.pid ?? 0) && isSameProcessAlive(b.pid ?? 0));
  const r = run('kill-containers', '--data-dir', dataDir);
  t.is(r.status, 0);
  t.is(r.stdout, `killed 2 container(s) recorded under ${dataDir}\n`);
  await new Promise((res) => setTimeout(res, 100));
  t.false(isSameProcessAlive(a.pid ?? 0));
  t.false(isSameProcessAlive(b.pid ?? 0));
});
