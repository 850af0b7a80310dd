// The node's log manager over the process runtime for real: a host process writing past the
// size limit gets its log rotated (kept files bounded, no line lost between them), and the
// runtime's logs — what the agent's Pods.Logs serves to `tctl logs` — read the live file,
// a follow going on across rotations.
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ContainerInfo, Runtime } from '../runtimes/runtime.js';
import { ProcessRuntime } from '../runtimes/process/process-runtime.js';
import { killContainers } from '../runtimes/process/kill-containers.js';
import { FakeRuntime } from '../runtimes/fake/fake-runtime.js';
import { ContainerLogManager, rotationRenames } from './container-log-manager.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) {
    killContainers(d);
    rmSync(d, { recursive: true, force: true });
  }
});

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The line numbers a `line N` writer left in a CRI log file, in order. */
function lineNumbers(path: string): number[] {
  return [...readFileSync(path, 'utf8').matchAll(/ stdout F line (\d+)$/gm)].map((m) => Number(m[1]));
}

async function chattyContainer(rt: Runtime, name: string): Promise<ContainerInfo> {
  const pod = { uid: `uid-${process.pid}-${name}`, namespace: 'default', name };
  const sandbox = await rt.createSandbox({ pod, hostname: name, hostNetwork: true, labels: {}, annotations: {} });
  return rt.startContainer(sandbox, {
    pod, name: 'chatty', attempt: 0, image: 'busybox', imageRef: 'busybox', args: [], env: [], resources: {}, annotations: {},
    command: ['sh', '-c', 'i=0; while :; do echo "line $i"; i=$((i+1)); sleep 0.005; done'],
  });
}

test('rotation renames oldest first, so no file is overwritten before it moved', (t) => {
  t.deepEqual(rotationRenames('c.log', 3), [{ from: 'c.log.1', to: 'c.log.2' }, { from: 'c.log', to: 'c.log.1' }]);
  t.deepEqual(rotationRenames('c.log', 1), []);
});

test('process runtime: a log past the size limit is rotated on the timer, at most maxFiles kept, no line lost, logs serve the live file', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tugboat-agent-logs-'));
  dirs.push(dataDir);
  const rt = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  const logs = new ContainerLogManager({ runtime: rt, maxBytes: 4096, maxFiles: 3, intervalMs: 50 });
  t.true(logs.supported);
  const c = await chattyContainer(rt, 'rotating');
  const log = rt.containerLogPath(c.id)!;
  const podLogs = join(dataDir, 'pod-logs', `default_rotating_${c.pod.uid}`);
  t.is(log, join(podLogs, 'chatty', '0.log'), 'the node\'s pod-log tree, as /var/log/pods');
  // A follower from the start: `tctl logs -f` must go on across rotations.
  const abort = new AbortController();
  const followed: string[] = [];
  const following = (async () => {
    for await (const b of rt.logs(c.id, { follow: true, signal: abort.signal })) followed.push(b.toString());
  })();
  logs.start();
  try {
    await waitFor('two rotations', () => existsSync(`${log}.2`));
    // Past the second rotation, the oldest file goes: never more than maxFiles.
    const firstOfTwo = lineNumbers(`${log}.2`)[0];
    await waitFor('a third rotation', () => existsSync(`${log}.2`) && lineNumbers(`${log}.2`)[0] !== firstOfTwo);
    await logs.stop();
    t.false(existsSync(`${log}.3`), 'at most maxFiles files');
    // The monitor reopened the path: the live file is small and holds the newest lines.
    await waitFor('the monitor to write the live file', () => existsSync(log) && statSync(log).size > 0, 5_000);
    const [older, old, live] = [lineNumbers(`${log}.2`), lineNumbers(`${log}.1`), lineNumbers(log)];
    const all = [...older, ...old, ...live];
    t.true(older.length > 0 && old.length > 0 && live.length > 0);
    t.deepEqual(all, all.map((_, i) => all[0]! + i), 'the kept files hold consecutive lines: none lost at a rotation');
    t.true(statSync(`${log}.1`).size >= 4096, 'rotated at the size limit');
    // What the agent serves: the live file's last line.
    let tail = '';
    for await (const b of rt.logs(c.id, { tailLines: 1 })) tail += b.toString();
    const last = Number(/^line (\d+)\n$/.exec(tail)?.[1]);
    t.true(last >= live[live.length - 1]!, `tail ${JSON.stringify(tail)} is the newest line`);
    // The follower saw lines written after the rotations, in order, none twice.
    await waitFor('the follower to reach the live file', () => {
      const n = [...followed.join('').matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
      return n.length > 0 && n[n.length - 1]! >= live[0]!;
    }, 5_000);
    const seen = [...followed.join('').matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
    t.is(seen[0], 0, 'the follower started at the first line');
    t.true(seen.every((n, i) => i === 0 || n === seen[i - 1]! + 1), 'the follower lost or repeated no line');
  } finally {
    abort.abort();
    await following.catch(() => undefined);
    await logs.stop();
    await rt.removeSandbox(c.pod.uid);
  }
  t.false(existsSync(`${log}.1`), 'rotated files go with the container');
  t.false(existsSync(podLogs), 'the pod\'s log directory goes with its sandbox');
});

test('a runtime without log files (fake) has nothing to rotate', async (t) => {
  const logs = new ContainerLogManager({ runtime: new FakeRuntime({ hostIP: '127.0.0.1', startDelayMs: 0, version: 'test' }), maxBytes: 1 });
  t.false(logs.supported);
  t.is(await logs.rotateAll(), 0);
  logs.start();
  await logs.stop();
});
