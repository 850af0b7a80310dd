// --event-ttl against a real etcd through the real API server: an Event is gone (deleted by
// etcd's lease, a DELETED event for watchers) once its TTL has passed since its last write,
// an update starts its TTL again, and other kinds never expire.
import { sleep, type KubeObject } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { testWithApiServer } from '../testing/server-test.js';

const TTL_SECONDS = 3;
const test = testWithApiServer({ eventTtlSeconds: TTL_SECONDS });

const event = (name: string, message: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' }, reason: 'Tested', message, type: 'Normal',
} as KubeObject);

test('an Event expires TTL seconds after its last write; an update starts the TTL again; a ConfigMap stays', async (t) => {
  const { client } = t.context;
  const deleted: string[] = [];
  const watch = client.watch<KubeObject>('events', { namespace: 'default' });
  const reading = (async () => { for await (const e of watch) if (e.type === 'DELETED') deleted.push(e.object.metadata?.name ?? ''); })().catch(() => undefined);
  t.teardown(() => watch.close());

  const started = Date.now();
  await client.create(event('once', 'written once'));
  await client.create(event('updated', 'first'));
  await client.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'stays', namespace: 'default' }, data: { a: '1' } });
  // Two seconds in, the second Event is written again: its TTL starts over.
  await sleep(2_000);
  const current = await client.get<KubeObject & { message?: string }>('events', 'default', 'updated');
  await client.update({ ...current, message: 'second' } as KubeObject);
  const updatedAt = Date.now();

  await waitFor('the Event written once to expire', async () => !(await client.tryGet('events', 'default', 'once')), 15_000, 100);
  const onceGone = (Date.now() - started) / 1000;
  t.true(onceGone >= TTL_SECONDS, `gone after ${onceGone.toFixed(1)} s, before its TTL`);
  t.truthy(await client.tryGet('events', 'default', 'updated'), 'the updated Event is still there: its TTL started again at the update');
  await waitFor('the updated Event to expire', async () => !(await client.tryGet('events', 'default', 'updated')), 15_000, 100);
  t.true((Date.now() - updatedAt) / 1000 >= TTL_SECONDS);
  await waitFor('both deletions seen by the watch', () => deleted.length === 2, 5_000);
  t.deepEqual(deleted.sort(), ['once', 'updated']);
  t.truthy(await client.tryGet('configmaps', 'default', 'stays'), 'a ConfigMap has no TTL');
  t.log(`the Event written once was gone ${onceGone.toFixed(1)} s after it was written (TTL ${TTL_SECONDS} s)`);
  watch.close();
  await reading;
});
