// exec probes through the real process runtime: the command runs on the host with the
// container's env and working dir.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from '../runtimes/process/process-runtime.js';
import { killContainers } from '../runtimes/process/kill-containers.js';
import { execProbe } from './exec-probe.js';

const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-probe-exec-'));
const rt = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
let id = '';

test.before(async () => {
  const sandbox = await rt.createSandbox({ pod: { uid: `uid-probe-${process.pid}`, namespace: 'default', name: 'p' }, hostname: 'p', hostNetwork: true, labels: {}, annotations: {} });
  const c = await rt.startContainer(sandbox, {
    pod: sandbox.pod, name: 'c', attempt: 0, image: 'busybox', imageRef: 'busybox', command: ['sleep', '60'], args: [],
    env: [{ name: 'PATH', value: process.env.PATH ?? '/usr/bin:/bin' }, { name: 'MARK', value: 'from-container' }], workingDir: tmpdir(), resources: {}, annotations: {},
  });
  for (let i = 0; i < 400 && (await rt.containerStatus(c.id))?.state !== 'running'; i++) await new Promise((r) => setTimeout(r, 25));
  id = c.id;
});

test.after.always(() => {
  killContainers(dataDir);
  rmSync(dataDir, { recursive: true, force: true });
});

test('exit 0 succeeds; another exit code fails with the output; the container\'s env and dir apply', async (t) => {
  t.deepEqual(await execProbe(rt, id, ['sh', '-c', 'echo "$MARK in $(pwd)"'], 5_000), { result: 'success', output: `from-container in ${tmpdir()}\n` });
  t.deepEqual(await execProbe(rt, id, ['sh', '-c', 'echo not ready; echo really >&2; exit 3'], 5_000), { result: 'failure', output: 'not ready\nreally\n' });
});

test('a command that outlives the timeout fails as timed out, on time', async (t) => {
  const r = await execProbe(rt, id, ['sh', '-c', 'exec sleep 5'], 300);
  t.deepEqual(r, { result: 'failure', output: 'command "sh -c exec sleep 5" timed out' });
});

test('a container that is not there makes the probe error', async (t) => {
  const r = await execProbe(rt, `uid-probe-${process.pid}_gone_0`, ['true'], 1_000);
  t.is(r.result, 'error');
});
