// --workers 2: the built binary as a primary and two forked workers on one etcd. Clients on
// different connections land on different workers and see each other's writes; metrics are
// summed once (object counts are not doubled); a worker that dies is replaced while the
// other serves; SIGTERM stops all of them, and a SIGKILLed primary leaves no worker behind.
import anyTest, { type TestFn } from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { type KubeObject, type TugboatClient } from '@tugboat/api';
import { startApiServerProcess, startEtcd, waitFor, type ApiServerProcess, type EtcdHandle } from '@tugboat/test';

const test = anyTest as TestFn<{ etcd: EtcdHandle; server: ApiServerProcess }>;

/** The primary's child processes (its workers). */
function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch { return false; }
};

/** A metric's value summed over its series, from the primary's /metrics. */
function metricSum(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels && !line.includes(labels)) continue;
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

test.before(async (t) => {
  const etcd = await startEtcd();
  const server = await startApiServerProcess(etcd.endpoint, { extraArgs: ['--workers', '2'] });
  t.context = { etcd, server };
});

test.after.always(async (t) => {
  await t.context.server?.stop();
  await t.context.etcd?.destroy();
});

test.serial('a primary and two workers serve one address; writes on one connection are seen by watches on another', async (t) => {
  const { server } = t.context;
  t.regex(server.output(), /serving gRPC on \S+, HTTP on \S+, etcd \S+, 2 workers/);
  await waitFor('ready', async () => (await server.http('/readyz')).status === 200, 20_000);
  t.is(children(server.process.pid!).length, 2);

  // Round robin hands each new connection to the next worker: of four clients, two go to
  // each. A watch on one sees every write made through the others.
  const clients: TugboatClient[] = Array.from({ length: 4 }, () => server.client());
  const seen: string[] = [];
  const watch = clients[0]!.watch<KubeObject>('configmaps', { namespace: 'default' });
  const reading = (async () => {
    for await (const e of watch) if (e.type === 'ADDED') seen.push(e.object.metadata?.name ?? '');
  })().catch(() => undefined);
  try {
    await sleepUntilWatching();
    for (let i = 0; i < 12; i++) {
      await clients[i % 4]!.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}`, namespace: 'default' }, data: { i: String(i) } });
    }
    await waitFor('every write seen by the watch', () => seen.length === 12, 10_000);
    t.deepEqual([...seen].sort(), Array.from({ length: 12 }, (_, i) => `cm-${i}`).sort());
  } finally {
    watch.close();
    await reading;
  }

  // The metrics are the workers' sum: every create counted once, the object count (kept by
  // worker 0 alone) not doubled.
  const stored = (await clients[1]!.list('configmaps')).items.length;
  await waitFor('configmaps counted', async () => metricSum((await server.http('/metrics')).body, 'apiserver_storage_objects', 'resource="configmaps"') >= stored, 20_000);
  const metrics = (await server.http('/metrics')).body;
  t.is(metricSum(metrics, 'apiserver_storage_objects', 'resource="configmaps"'), stored);
  // Twelve creates, each counted once (by the worker that served it).
  t.is(metricSum(metrics, 'apiserver_request_total', 'verb="POST",resource="configmaps"'), 12);
});

/** Watches start asynchronously; a short pause lets the stream open before the writes. */
function sleepUntilWatching(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 300));
}

test.serial('a worker that dies is replaced; the other serves meanwhile', async (t) => {
  const { server } = t.context;
  const [first, second] = children(server.process.pid!);
  t.truthy(first && second);
  process.kill(first!, 'SIGKILL');
  // node:cluster's primary hands each accepted connection to a worker over IPC; one handed to
  // the dead worker before the primary has seen its IPC channel close is never answered (the
  // worker cannot refuse it), so new connections are made once the primary has noticed. CI
  // once caught that window: a get waited out its 15 s deadline.
  await waitFor('the primary noticed the death', () => server.output().includes(`(pid ${first}) exited (SIGKILL); starting it again`), 10_000);
  // New connections go to the live worker (and to the replacement once it is up).
  for (let i = 0; i < 4; i++) {
    const c = server.client();
    t.is((await c.get<KubeObject>('namespaces', '', 'default')).metadata?.name, 'default');
  }
  await waitFor('a new worker', () => children(server.process.pid!).length === 2 && !children(server.process.pid!).includes(first!), 20_000);
  await waitFor('ready with two workers again', async () => (await server.http('/readyz')).status === 200, 20_000);
  t.regex(server.output(), /worker \d \(pid \d+\) exited \(SIGKILL\); starting it again/);
});

test.serial('SIGKILL of the primary leaves no worker serving; SIGTERM stops them all', async (t) => {
  const { server } = t.context;
  let workers = children(server.process.pid!);
  t.is(workers.length, 2);
  await server.kill('SIGKILL');
  await waitFor('workers gone with their primary', () => workers.every((pid) => !alive(pid)), 15_000);

  await server.restart();
  await waitFor('ready', async () => (await server.http('/readyz')).status === 200, 20_000);
  workers = children(server.process.pid!);
  t.is(workers.length, 2);
  const exit = await server.kill('SIGTERM');
  t.is(exit.code, 0);
  t.true(workers.every((pid) => !alive(pid)));
});
