// The tugboat-agent binary's command line: --help, bad flags, kill-containers.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessRuntime } from './runtimes/process/process-runtime.js';
import { killContainers } from './runtimes/process/kill-containers.js';
import { isSameProcessAlive } from './system/proc.js';
import { testPki } from '@tugboat/test';

const BIN = fileURLToPath(new URL('../bin/tugboat-agent.js', import.meta.url));
const run = (...args: string[]): { status: number | null; stdout: string; stderr: string } => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

test('--help prints usage and exits 0', (t) => {
  const r = run('--help');
  t.is(r.status, 0);
  t.true(r.stdout.includes('tugboat-agent --kubeconfig FILE --tls-cert-file FILE --tls-private-key-file FILE'));
  t.true(r.stdout.includes('--client-ca-file FILE'));
  t.regex(r.stdout, /--hollow N[\s\S]*must be allowed to act\s+for every hollow node/);
  t.true(r.stdout.includes('kill-containers --data-dir DIR'));
});

test('a bad flag is one line on stderr and exit 2', (t) => {
  const r = run('--bogus');
  t.is(r.status, 2);
  t.is(r.stderr, 'tugboat-agent: unknown flag --bogus (see --help)\n');
  t.is(run('--runtime', 'vm').status, 2);
});

test('secure by default: without its certificates the agent does not start (one line, exit 2)', async (t) => {
  const missing = run('--node-name', 'n1');
  t.is(missing.status, 2);
  t.is(missing.stderr, 'tugboat-agent: --kubeconfig, --tls-cert-file, --tls-private-key-file and --client-ca-file are required: the agent talks to the API server and serves logs and exec only over authenticated TLS (see --help)\n');
  const pki = await testPki();
  const node = await pki.node('main-test');
  const kubeconfig = node.files.kubeconfig('127.0.0.1:1');
  const unreadable = run('--node-name', 'main-test', '--kubeconfig', kubeconfig, '--tls-cert-file', '/nonexistent/serving.crt', '--tls-private-key-file', node.files.servingKeyFile, '--client-ca-file', pki.files.caFile);
  t.is(unreadable.status, 2);
  t.is(unreadable.stderr, 'tugboat-agent: --tls-cert-file: cannot read /nonexistent/serving.crt: ENOENT\n');
  // A key that is not the certificate's (the client key with the serving certificate).
  const mismatched = run('--node-name', 'main-test', '--kubeconfig', kubeconfig, '--tls-cert-file', node.files.servingCertFile, '--tls-private-key-file', node.files.keyFile, '--client-ca-file', pki.files.caFile);
  t.is(mismatched.status, 2);
  t.is(mismatched.stderr, `tugboat-agent: --tls-private-key-file: ${node.files.keyFile} is not the key of the certificate in --tls-cert-file\n`);
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
