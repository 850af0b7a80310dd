// The etcd storage on a real 3-member etcd cluster: a member SIGKILLed (the leader among
// them) under a compare-and-swap writer loses nothing and fails nothing; quorum loss is a
// clear Unavailable naming etcd, and the same storage works again once quorum is back.
import test from 'ava';
import { ApiError, sleep } from '@tugboat/api';
import { etcdAvailable, startEtcdCluster, waitFor, type EtcdCluster, type EtcdMember } from '@tugboat/test';
import { EtcdStorage } from './etcd-storage.js';
import type { StorageEvent } from './storage.js';


/** The member etcd currently follows as leader (through its JSON gateway). */
async function leaderOf(cluster: EtcdCluster): Promise<EtcdMember> {
  for (const m of cluster.members) {
    const res = await fetch(`${m.endpoint}/v3/maintenance/status`, { method: 'POST', body: '{}' }).catch(() => undefined);
    if (!res?.ok) continue;
    const s = await res.json() as { header: { member_id: string }; leader: string };
    if (s.leader === '0') continue;
    for (const other of cluster.members) {
      const r = await fetch(`${other.endpoint}/v3/maintenance/status`, { method: 'POST', body: '{}' }).catch(() => undefined);
      if (r?.ok && (await r.json() as { header: { member_id: string } }).header.member_id === s.leader) return other;
    }
  }
  throw new Error('no member knows a leader');
}

interface WriterReport { acked: number[]; failures: string[]; longestMs: number }

/** CAS increments of one counter (read, then write from the revision read), at most `perSecond` a second, until `stop()`. */
function counterWriter(storage: EtcdStorage, key: string, perSecond: number): { stop(): Promise<WriterReport> } {
  const report: WriterReport = { acked: [], failures: [], longestMs: 0 };
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      try {
        const kv = await storage.get(key);
        const next = Number(kv?.value ?? '0') + 1;
        const res = kv ? await storage.update(key, String(next), kv.modRevision) : await storage.create(key, String(next));
        if (res.ok) report.acked.push(next);
        else report.failures.push(`conflict at ${next}: someone else wrote the counter`);
      } catch (e) {
        report.failures.push(e instanceof Error ? e.message : String(e));
      }
      report.longestMs = Math.max(report.longestMs, Date.now() - started);
      await sleep(Math.max(0, 1000 / perSecond - (Date.now() - started)));
    }
  })();
  return { stop: async () => { stopped = true; await loop; return report; } };
}

test('a member SIGKILLed under CAS writers, then the leader: nothing fails, nothing is lost, the watch misses nothing', async (t) => {
  if (!etcdAvailable()) { t.log('etcd is not installed: skipped'); t.pass(); return; }
  t.timeout(120_000);
  const cluster = await startEtcdCluster(3);
  const storage = new EtcdStorage({ endpoints: cluster.endpoints });
  t.teardown(async () => { await storage.close(); await cluster.destroy(); });
  const key = '/registry/configmaps/default/counter';
  const watched: StorageEvent[] = [];
  const watch = storage.watch(key, undefined, { onEvents: (evs) => watched.push(...evs), onError: (e) => t.fail(`watch failed: ${e.message}`) });
  await watch.started;

  // 8 counters at up to 40 increments/s each: a read and a write per increment, 320 writes/s offered.
  const others = Array.from({ length: 7 }, (_v, i) => counterWriter(storage, `/registry/configmaps/default/load-${i}`, 40));
  const writer = counterWriter(storage, key, 40);
  const began = Date.now();
  await sleep(1_500);
  const first = await leaderOf(cluster);
  const follower = cluster.members.find((m) => m !== first)!;
  await follower.kill('SIGKILL');
  await sleep(2_000);
  await follower.restart();
  await sleep(1_000);
  const leader = await leaderOf(cluster);
  await leader.kill('SIGKILL');
  await sleep(3_000);
  await leader.restart();
  await sleep(1_000);
  const report = await writer.stop();
  const loads = await Promise.all(others.map((o) => o.stop()));
  const seconds = (Date.now() - began) / 1000;
  const all = [report, ...loads];
  const writes = all.reduce((n, r) => n + r.acked.length, 0);

  const last = Number((await storage.get(key))?.value);
  const longest = Math.max(...all.map((r) => r.longestMs));
  t.log(`killed ${follower.name}, then leader ${leader.name}: ${writes} writes acknowledged in ${seconds.toFixed(1)} s (${(writes / seconds).toFixed(0)}/s), ${all.reduce((n, r) => n + r.failures.length, 0)} failed, longest write (retries included) ${longest} ms`);
  for (const r of all) {
    t.deepEqual(r.failures, []);
    // Every acknowledged value, in order, no gap, no duplicate.
    t.deepEqual(r.acked, Array.from({ length: r.acked.length }, (_v, i) => i + 1));
  }
  t.is(last, report.acked.length, 'the store holds the last acknowledged value');
  // Rates and the longest write are reported, not asserted (a loaded machine is slower); a
  // write that could not complete within the retry window would be a failure above.
  await waitFor('the watch to see the last value', () => watched.at(-1)?.type === 'put' && Number((watched.at(-1) as { value: string }).value) === last, 10_000);
  t.deepEqual(watched.map((e) => (e.type === 'put' ? Number(e.value) : -1)), report.acked);
  watch.close();
});

test('quorum lost: a clear Unavailable naming etcd; quorum back: the same storage works, no restart', async (t) => {
  if (!etcdAvailable()) { t.log('etcd is not installed: skipped'); t.pass(); return; }
  t.timeout(120_000);
  const cluster = await startEtcdCluster(3);
  const storage = new EtcdStorage({ endpoints: cluster.endpoints, requestTimeoutMs: 3_000 });
  t.teardown(async () => { await storage.close(); await cluster.destroy(); });
  const key = '/registry/configmaps/default/q';
  t.true((await storage.create(key, '1')).ok);
  const [a, b] = cluster.members;
  await a!.kill('SIGKILL');
  await b!.kill('SIGKILL');
  const started = Date.now();
  const err = await t.throwsAsync(storage.get(key), { instanceOf: ApiError });
  t.log(`with 1 of 3 members: "${err?.message}" after ${Date.now() - started} ms`);
  t.regex(err?.reason ?? '', /^(Unavailable|Timeout)$/);
  t.regex(err?.message ?? '', /^etcd /);
  t.notRegex(err?.message ?? '', /\n/);
  await a!.restart();
  const back = Date.now();
  await waitFor('the storage to answer again', async () => (await storage.get(key).catch(() => undefined))?.value === '1', 20_000);
  t.log(`quorum back: answering again ${Date.now() - back} ms after the member answered /health`);
  const kv = await storage.get(key);
  t.true((await storage.update(key, '2', kv!.modRevision)).ok);
});
