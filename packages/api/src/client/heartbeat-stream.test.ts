// The client's heartbeat stream against scripted streams: answers matched by node, a broken
// stream failing what it owes and replaced at the next beat, a silent one timed out.
import { EventEmitter } from 'node:events';
import test from 'ava';
import { ApiError } from '../errors.js';
import { HeartbeatStream, type OpenedHeartbeatStream } from './heartbeat-stream.js';

class FakeStream extends EventEmitter {
  readonly written: string[] = [];
  cancelled = false;
  write(m: { node: string }): boolean { this.written.push(m.node); return true; }
  cancel(): void { this.cancelled = true; }
  answer(node: string): void { this.emit('data', { node }); }
}

function opener() {
  const streams: FakeStream[] = [];
  const failures: unknown[] = [];
  const open = (): OpenedHeartbeatStream => {
    const s = new FakeStream();
    streams.push(s);
    return { stream: s as unknown as OpenedHeartbeatStream['stream'], address: `server-${streams.length}`, failed: (e) => failures.push(e) };
  };
  return { open, streams, failures };
}

test('one stream for every beat; each beat resolves with the answer naming its node, whatever the order', async (t) => {
  const { open, streams } = opener();
  const hb = new HeartbeatStream(open, 5_000);
  const done: string[] = [];
  const a = hb.beat('a').then(() => done.push('a'));
  const b = hb.beat('b').then(() => done.push('b'));
  t.is(streams.length, 1);
  t.deepEqual(streams[0]!.written, ['a', 'b']);
  streams[0]!.answer('b');
  await b;
  t.deepEqual(done, ['b']);
  streams[0]!.answer('a');
  await a;
  t.deepEqual(done, ['b', 'a']);
});

test('a stream that breaks fails the beats it owes (as ApiErrors), and the next beat opens another', async (t) => {
  const { open, streams, failures } = opener();
  const hb = new HeartbeatStream(open, 5_000);
  const owed = hb.beat('a');
  streams[0]!.emit('error', Object.assign(new Error('14 UNAVAILABLE: connection dropped'), { code: 14, details: 'connection dropped', metadata: undefined }));
  const err = await owed.then(() => undefined, (e: unknown) => e);
  t.true(err instanceof ApiError && err.reason === 'Unavailable', String(err));
  t.is(failures.length, 1, 'the client is told, so it can move on to the next server');
  const next = hb.beat('a');
  t.is(streams.length, 2);
  streams[1]!.answer('a');
  await next;
  t.pass();
});

test('no answer in time: the beat times out and the stream is dropped (the next beat opens another)', async (t) => {
  const { open, streams } = opener();
  const hb = new HeartbeatStream(open, 50);
  const err = await hb.beat('a').then(() => undefined, (e: unknown) => e);
  t.true(err instanceof ApiError && err.reason === 'Timeout', String(err));
  t.true(streams[0]!.cancelled);
  void hb.beat('b').catch(() => undefined);
  t.is(streams.length, 2);
  hb.close();
  await t.throwsAsync(hb.beat('c'), { message: /closed/ });
});
