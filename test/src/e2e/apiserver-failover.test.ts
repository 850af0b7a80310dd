// Two API server processes over one etcd (issue 12, HA API servers), and clients given both
// addresses: each server in turn is SIGKILLed while a client reads and writes and an informer
// watches. Calls that never reached the dead server go to the other one; the informer watches
// again from its last resourceVersion on the other server, without listing again, and sees
// every change exactly once.
import test from 'ava';
import { Informer, TugboatClient, sleep, type KubeObject } from '@tugboat/api';
import { etcdAvailable, startEtcd, type EtcdHandle } from '../harness/etcd.js';
import { startApiServerProcess, type ApiServerProcess } from '../harness/apiserver.js';
import { testPki } from '../harness/pki.js';
import { waitFor } from '../harness/ports.js';

const skipped = !etcdAvailable();
let etcd: EtcdHandle;
let servers: ApiServerProcess[] = [];
const clients: TugboatClient[] = [];

async function clientOf(addresses: readonly string[]): Promise<TugboatClient> {
  const c = new TugboatClient(addresses, { timeoutMs: 15_000, credentials: (await testPki()).credentials() });
  clients.push(c);
  return c;
}

const cm = (name: string, n: number): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', labels: { app: 'resume' } }, data: { n: String(n) } });

test.before(async (t) => {
  if (skipped) return;
  t.timeout(60_000);
  etcd = await startEtcd();
  // One after the other: the first makes the built-in namespaces and RBAC.
  servers.push(await startApiServerProcess(etcd.endpoint));
  servers.push(await startApiServerProcess(etcd.endpoint));
  const c = await clientOf(servers.map((s) => s.address));
  await waitFor('the default namespace', async () => (await c.tryGet('namespaces', '', 'default')) !== undefined, 15_000);
});

test.after.always(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop();
  servers = [];
  await etcd?.destroy();
});

test.serial('with the server in use SIGKILLed, reads and writes go to the other one; then back', async (t) => {
  if (skipped) { t.log('etcd is not installed: skipped'); t.pass(); return; }
  t.timeout(60_000);
  const [a, b] = servers as [ApiServerProcess, ApiServerProcess];
  const client = await clientOf([a.address, b.address]);
  await client.create(cm('before', 0));
  t.is(client.address, a.address);
  for (const [i, [down, up]] of ([[a, b], [b, a]] as const).entries()) {
    await down.kill('SIGKILL');
    // A write first: the dead server refuses the connection, so it was never sent there.
    const started = Date.now();
    const created = await client.create(cm(`during-${i}`, i));
    const got = await client.get<KubeObject>('configmaps', 'default', `during-${i}`);
    const listed = await client.list('configmaps', { namespace: 'default' });
    t.log(`${down.address} killed: create, get and list through ${up.address} in ${Date.now() - started} ms, none failed`);
    t.is(client.address, up.address);
    t.is(got.metadata?.uid, created.metadata?.uid);
    t.true(listed.items.some((o) => o.metadata?.name === `during-${i}`));
    await down.restart();
  }
});

test.serial('an informer watches again from its last resourceVersion on the other server: no relist, nothing lost or seen twice', async (t) => {
  if (skipped) { t.log('etcd is not installed: skipped'); t.pass(); return; }
  t.timeout(90_000);
  const addresses = servers.map((s) => s.address);
  const watcher = await clientOf(addresses);
  // The writer lists the servers the other way round: it is not on the informer's server.
  const writerClient = await clientOf([...addresses].reverse());
  const informer = new Informer<KubeObject>(watcher, 'configmaps', { namespace: 'default', labelSelector: 'app=resume', backoffMs: 100, maxBackoffMs: 1_000 });
  // Each change as the revision it made; a delete (the informer hands over the last state it
  // had) as the name and the revision it removed.
  const seen: string[] = [];
  informer.onAdd((o) => seen.push(o.metadata!.resourceVersion!));
  informer.onUpdate((_old, o) => seen.push(o.metadata!.resourceVersion!));
  informer.onDelete((o) => seen.push(`delete ${o.metadata!.name!}@${o.metadata!.resourceVersion!}`));
  await informer.start();
  const initial = seen.length;

  // Creates, updates and deletes, each acknowledged revision recorded.
  const acked: string[] = [];
  let failures = 0;
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        const name = `w-${i % 7}`;
        const existing = await writerClient.tryGet<KubeObject>('configmaps', 'default', name);
        if (!existing) acked.push((await writerClient.create(cm(name, i))).metadata!.resourceVersion!);
        else if (i % 3 === 0) {
          await writerClient.delete('configmaps', 'default', name, { preconditionResourceVersion: existing.metadata!.resourceVersion! });
          acked.push(`delete ${name}@${existing.metadata!.resourceVersion!}`);
        }
        else acked.push((await writerClient.update({ ...existing, data: { n: String(i) } })).metadata!.resourceVersion!);
      } catch {
        failures++;
      }
      await sleep(20);
    }
  })();

  const kills: string[] = [];
  for (let round = 0; round < 2; round++) {
    await sleep(1_000);
    // The server the informer watches through now.
    const victim = servers.find((s) => s.address === watcher.address)!;
    await victim.kill('SIGKILL');
    kills.push(victim.address);
    await sleep(1_000);
    await victim.restart();
  }
  await sleep(1_000);
  stop = true;
  await writer;
  const last = (await writerClient.list('configmaps', { namespace: 'default', labelSelector: 'app=resume' })).resourceVersion;
  await waitFor('the informer to reach the last write', () => Number(informer.resourceVersion()) >= Number(last), 15_000);
  informer.stop();

  const events = seen.slice(initial);
  const duplicates = events.filter((rv, i) => events.indexOf(rv) !== i);
  const missed = acked.filter((rv) => !events.includes(rv));
  const unacked = events.filter((rv) => !acked.includes(rv));
  t.log(`killed ${kills.join(', then ')} under the informer; writes acknowledged ${acked.length}, failed ${failures}; events ${events.length}, lists ${informer.listCount()}`);
  t.is(informer.listCount(), 1, 'the informer never listed again');
  t.deepEqual(duplicates, [], 'no event seen twice');
  t.deepEqual(missed, [], 'no acknowledged change missed');
  // A write whose answer was lost may be stored all the same: at most one event for each.
  t.true(unacked.length <= failures, `events of unacknowledged writes: ${unacked.join(', ')}`);
  t.true(acked.length > 20);
  // The cache is what a fresh list says.
  const fresh = await writerClient.list('configmaps', { namespace: 'default', labelSelector: 'app=resume' });
  t.deepEqual(informer.list().map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort(), fresh.items.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort());
});
