// The process runtime for real: host processes, monitors, records, /proc.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerConfig, ContainerInfo, SandboxInfo } from '../runtime.js';
import { ProcessRuntime, unmountableVolume } from './process-runtime.js';
import { VolumeError } from '../runtime.js';
import { killContainers } from './kill-containers.js';
import { isSameProcessAlive, readProcStat } from '../../system/proc.js';
import { containerDir, containerId, recordPath } from './records.js';

const dirs: string[] = [];
test.after.always(() => {
  for (const d of dirs) {
    killContainers(d);
    rmSync(d, { recursive: true, force: true });
  }
});

function newDataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'tugboat-agent-rt-'));
  dirs.push(d);
  return d;
}

let podSeq = 0;
async function setup(dataDir = newDataDir()): Promise<{ rt: ProcessRuntime; sandbox: SandboxInfo; dataDir: string }> {
  const rt = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  const uid = `uid-${process.pid}-${++podSeq}`;
  const sandbox = await rt.createSandbox({ pod: { uid, namespace: 'default', name: `p${podSeq}` }, hostname: `p${podSeq}`, hostNetwork: true, labels: {}, annotations: {} });
  return { rt, sandbox, dataDir };
}

function config(sandbox: SandboxInfo, name: string, command: string[], more: Partial<ContainerConfig> = {}): ContainerConfig {
  return {
    pod: sandbox.pod, name, attempt: 0, image: 'busybox', imageRef: 'busybox', command, args: [], env: [],
    resources: {}, annotations: {}, ...more,
  };
}

async function waitState(rt: ProcessRuntime, id: string, state: ContainerInfo['state'], timeoutMs = 10_000): Promise<ContainerInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await rt.containerStatus(id);
    if (s?.state === state) return s;
    if (Date.now() > deadline) throw new Error(`container ${id} not ${state} after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function readAll(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts).toString();
}

test('a command that exits 3 is reported exited with code 3, its output in the log', async (t) => {
  const { rt, sandbox } = await setup();
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', ['sh', '-c', 'echo hello; echo oops >&2; exit 3']));
  const s = await waitState(rt, c.id, 'exited');
  t.is(s.exitCode, 3);
  t.is(s.reason, 'Error');
  t.truthy(s.startedAt && s.finishedAt && s.finishedAt >= s.startedAt);
  const logs = await readAll(rt.logs(c.id));
  t.true(logs.includes('hello\n'));
  t.true(logs.includes('oops\n'));
});

test('exit 0 is Completed; env, args and workingDir reach the process', async (t) => {
  const { rt, sandbox } = await setup();
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', ['sh', '-c'], {
    args: ['echo "$FOO $HOSTNAME"; pwd'],
    env: [{ name: 'FOO', value: 'bar' }],
    workingDir: '/tmp',
  }));
  const s = await waitState(rt, c.id, 'exited');
  t.is(s.exitCode, 0);
  t.is(s.reason, 'Completed');
  t.is(await readAll(rt.logs(c.id)), `bar ${sandbox.pod.name}\n/tmp\n`);
});

test('a running container is its own process group; stop sends SIGTERM and reports 143', async (t) => {
  const { rt, sandbox } = await setup();
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', ['sleep', '1000']));
  t.is(c.state, 'running');
  t.truthy(c.pid);
  const st = readProcStat(c.pid ?? 0);
  t.is(st?.pgrp, c.pid);
  t.not(st?.session, readProcStat(process.pid)?.session);
  await rt.stopContainer(c.id, 10);
  const s = await rt.containerStatus(c.id);
  t.is(s?.state, 'exited');
  t.is(s?.exitCode, 143);
  t.false(isSameProcessAlive(c.pid ?? 0));
});

test('a container ignoring SIGTERM is killed after the grace period (137), with its whole group', async (t) => {
  const { rt, sandbox } = await setup();
  // The trap is inherited, so both sh and its sleep children ignore SIGTERM.
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', ['sh', '-c', 'trap "" TERM; sleep 1000 & while :; do sleep 0.05; done']));
  await new Promise((r) => setTimeout(r, 200));
  const started = Date.now();
  await rt.stopContainer(c.id, 1);
  const s = await rt.containerStatus(c.id);
  t.is(s?.exitCode, 137);
  t.true(Date.now() - started >= 900);
  const leftovers = (await import('../../system/proc.js')).processGroupMembers(c.pid ?? 0);
  t.deepEqual(leftovers, []);
});

test('command not found and a bad workingDir are StartErrors with a clear message', async (t) => {
  const { rt, sandbox } = await setup();
  const a = await rt.startContainer(sandbox, config(sandbox, 'a', ['no-such-command-xyz']));
  t.is(a.state, 'exited');
  t.is(a.reason, 'StartError');
  t.is(a.exitCode, 128);
  t.is(a.message, 'failed to start container "a": exec: "no-such-command-xyz": executable file not found in $PATH');
  const b = await rt.startContainer(sandbox, config(sandbox, 'b', ['true'], { workingDir: '/no/such/dir' }));
  t.is(b.reason, 'StartError');
  t.is(b.message, 'failed to start container "b": chdir to cwd ("/no/such/dir"): no such file or directory');
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', [], { image: 'nginx' }));
  t.is(c.reason, 'StartError');
  t.regex(c.message ?? '', /no command specified/);
  const listed = await rt.listContainers({ podUid: sandbox.pod.uid });
  t.is(listed.length, 3);
});

test('a new runtime over the same data dir adopts a running container; exit codes written while "down" are read back', async (t) => {
  const { rt, sandbox, dataDir } = await setup();
  const long = await rt.startContainer(sandbox, config(sandbox, 'long', ['sleep', '1000']));
  const short = await rt.startContainer(sandbox, config(sandbox, 'short', ['sh', '-c', 'sleep 0.3; exit 7'], { attempt: 4 }));
  await rt.close();
  await new Promise((r) => setTimeout(r, 600));
  const again = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  const list = await again.listContainers();
  const l = list.find((c) => c.id === long.id);
  const s = list.find((c) => c.id === short.id);
  t.is(l?.state, 'running');
  t.is(l?.pid, long.pid);
  t.is(s?.state, 'exited');
  t.is(s?.exitCode, 7);
  t.is(s?.attempt, 4);
  await again.stopContainer(long.id, 5);
  t.is((await again.containerStatus(long.id))?.exitCode, 143);
});

test('containers outlive a SIGKILLed agent process and are adopted by the next one', async (t) => {
  const dataDir = newDataDir();
  const rtModule = join(fileURLToPath(new URL('.', import.meta.url)), 'process-runtime.js');
  // A throw-away "agent": starts one container, prints its id and pid, then waits to be killed.
  const script = `
    const { ProcessRuntime } = await import(${JSON.stringify(rtModule)});
    const rt = new ProcessRuntime({ dataDir: ${JSON.stringify(dataDir)}, hostIP: '127.0.0.1' });
    const pod = { uid: 'agent-kill-uid', namespace: 'default', name: 'p' };
    const sb = await rt.createSandbox({ pod, hostname: 'p', hostNetwork: true, labels: {}, annotations: {} });
    const c = await rt.startContainer(sb, { pod, name: 'c', attempt: 2, image: 'x', imageRef: 'x', command: ['sleep', '1000'], args: [], env: [], resources: {}, annotations: {} });
    console.log(JSON.stringify({ id: c.id, pid: c.pid }));
    setInterval(() => {}, 1000);
  `;
  const agent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => { if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGKILL'); });
  const line = await new Promise<string>((resolve) => agent.stdout.once('data', (d: Buffer) => resolve(d.toString())));
  const { id, pid } = JSON.parse(line) as { id: string; pid: number };
  agent.kill('SIGKILL');
  await new Promise((r) => agent.once('exit', r));
  t.true(isSameProcessAlive(pid));
  const rt = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  const [c] = await rt.listContainers();
  t.is(c?.id, id);
  t.is(c?.state, 'running');
  t.is(c?.pid, pid);
  t.is(c?.attempt, 2);
  await rt.stopContainer(id, 5);
  t.false(isSameProcessAlive(pid));
});

test('a recorded pid now used by another process is not adopted', async (t) => {
  const dataDir = newDataDir();
  const rt = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  const dir = containerDir(dataDir, 'reused-uid', 'c');
  mkdirSync(dir, { recursive: true });
  const id = containerId('reused-uid', 'c', 0);
  writeFileSync(recordPath(dir, 0, 'json'), JSON.stringify({
    version: 1, id, pod: { uid: 'reused-uid', namespace: 'default', name: 'p' }, name: 'c', attempt: 0, image: 'x', imageRef: 'x',
    argv: ['sleep', '1'], executable: '/bin/sleep', env: [], createdAt: new Date(Date.now() - 60_000).toISOString(), annotations: {},
  }));
  // Our own pid is alive — but it is not the process that was recorded (different start time).
  writeFileSync(recordPath(dir, 0, 'pid'), JSON.stringify({ pid: process.pid, startTime: '1', monitorPid: process.pid, monitorStartTime: '1', startedAt: new Date().toISOString() }));
  const s = await rt.containerStatus(id);
  t.is(s?.state, 'exited');
  t.is(s?.reason, 'ContainerStatusUnknown');
  t.is(s?.exitCode, 137);
  t.true(isSameProcessAlive(process.pid));
});

test('logs: tail, since, timestamps and follow until the container exits', async (t) => {
  const { rt, sandbox } = await setup();
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done; printf tail-without-newline']));
  const followed = await readAll(rt.logs(c.id, { follow: true }));
  t.is(followed, 'line1\nline2\nline3\nline4\nline5\ntail-without-newline');
  t.is((await rt.containerStatus(c.id))?.state, 'exited');
  t.is(await readAll(rt.logs(c.id, { tailLines: 2 })), 'line5\ntail-without-newline');
  t.is(await readAll(rt.logs(c.id, { tailLines: 0 })), '');
  t.is(await readAll(rt.logs(c.id, { tailLines: 100 })), followed);
  t.is(await readAll(rt.logs(c.id, { since: new Date(Date.now() + 60_000) })), '');
  const stamped = await readAll(rt.logs(c.id, { tailLines: 1, timestamps: true }));
  t.regex(stamped, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tail-without-newline$/);
});

test('logs: a follow sees lines as they are written and stops when aborted', async (t) => {
  const { rt, sandbox } = await setup();
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo tick$i; sleep 0.05; done']));
  const ac = new AbortController();
  const seen: string[] = [];
  for await (const b of rt.logs(c.id, { follow: true, signal: ac.signal })) {
    seen.push(b.toString());
    if (seen.join('').includes('tick5\n')) ac.abort();
  }
  t.true(seen.join('').startsWith('tick1\ntick2\n'));
  await rt.stopContainer(c.id, 5);
});

test('stats, exec and remove', async (t) => {
  const { rt, sandbox } = await setup();
  const c = await rt.startContainer(sandbox, config(sandbox, 'c', ['sleep', '1000'], { env: [{ name: 'GREETING', value: 'hi' }], workingDir: '/tmp' }));
  const st = await rt.stats(c.id);
  t.truthy(st);
  t.true((st?.memoryWorkingSetBytes ?? 0) > 0);
  t.true((st?.cpuUsageCoreNanoSeconds ?? -1) >= 0);
  const r = await rt.exec(c.id, ['sh', '-c', 'echo $GREETING; pwd; exit 4']);
  t.is(r.exitCode, 4);
  t.is(r.stdout.toString(), 'hi\n/tmp\n');
  const missing = await rt.exec(c.id, ['no-such-command']);
  t.is(missing.exitCode, 127);
  t.regex(missing.stderr.toString(), /"no-such-command": executable file not found/);
  const scratch = mkdtempSync(join(tmpdir(), 'tugboat-exec-'));
  t.teardown(() => rmSync(scratch, { recursive: true, force: true }));
  const plain = join(scratch, 'not-executable');
  writeFileSync(plain, 'echo hi\n', { mode: 0o644 });
  t.is((await rt.exec(c.id, [plain])).exitCode, 126);
  t.is((await rt.exec(c.id, ['sh', '-c', 'kill -TERM $$'])).exitCode, 143, 'killed by a signal: 128 + its number');
  // A timeout kills the command's children too: they would hold its output open.
  const execAt = Date.now();
  const slow = await rt.exec(c.id, ['sh', '-c', 'sleep 77 & sleep 78; echo never'], { timeoutMs: 300 });
  t.true(Date.now() - execAt < 3_000, `exec took ${Date.now() - execAt} ms`);
  t.is(slow.exitCode, 137);
  await rt.removeContainer(c.id);
  t.is(await rt.containerStatus(c.id), undefined);
  t.false(isSameProcessAlive(c.pid ?? 0));
  await rt.removeSandbox(sandbox.pod.uid);
  t.deepEqual(await rt.listContainers({ podUid: sandbox.pod.uid }), []);
});

test('killContainers kills every monitor and container at once, as a crash would', async (t) => {
  const { rt, sandbox, dataDir } = await setup();
  const a = await rt.startContainer(sandbox, config(sandbox, 'a', ['sleep', '1000']));
  const b = await rt.startContainer(sandbox, config(sandbox, 'b', ['sh', '-c', 'sleep 1000']));
  t.is(killContainers(dataDir), 2);
  await new Promise((r) => setTimeout(r, 100));
  t.false(isSameProcessAlive(a.pid ?? 0));
  t.false(isSameProcessAlive(b.pid ?? 0));
  const after = new ProcessRuntime({ dataDir, hostIP: '127.0.0.1' });
  for (const c of await after.listContainers()) {
    t.is(c.state, 'exited');
    t.is(c.reason, 'ContainerStatusUnknown');
  }
});

test('a volume a container mounts cannot be given by the process runtime: the sandbox fails naming it (the token volume excepted)', async (t) => {
  const spec = {
    containers: [{ name: 'c', image: 'x', volumeMounts: [{ name: 'token', mountPath: '/var/run/secrets' }, { name: 'data', mountPath: '/data' }] }],
    volumes: [{ name: 'token', projected: { sources: [] } }, { name: 'data', persistentVolumeClaim: { claimName: 'data' } }, { name: 'unused', emptyDir: {} }],
  };
  t.deepEqual(unmountableVolume(spec), { name: 'data', type: 'persistentVolumeClaim' });
  t.is(unmountableVolume({ containers: [{ name: 'c' }], volumes: [{ name: 'unused', emptyDir: {} }] }), undefined, 'declared, not mounted');
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-proc-vol-'));
  try {
    const rt = new ProcessRuntime({ dataDir: dir, hostIP: '127.0.0.1', version: 'test' });
    const err = await rt.createSandbox({ pod: { uid: 'u', namespace: 'default', name: 'p' }, hostname: 'p', hostNetwork: false, labels: {}, annotations: {}, podSpec: spec }).then(() => undefined, (e: unknown) => e);
    t.true(err instanceof VolumeError);
    t.like(err, { volume: 'data', unsupported: true });
    t.regex((err as VolumeError).detail, /^volume "data" \(persistentVolumeClaim\) cannot be mounted by the process runtime/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
