import test from 'ava';
import { FakeClock } from '@tugboat/api';
import { ControllerExpectations } from './expectations.js';
import { TokenBucket } from './token-bucket.js';

test('a key with no record is satisfied', (t) => {
  t.true(new ControllerExpectations(new FakeClock()).satisfied('ns/rs'));
});

test('creations: satisfied only once every expected create was observed', (t) => {
  const e = new ControllerExpectations(new FakeClock());
  e.expectCreations('ns/rs', 2);
  t.false(e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  t.false(e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  t.true(e.satisfied('ns/rs'));
  e.creationObserved('ns/rs');
  t.deepEqual(e.pending('ns/rs'), { adds: 0, dels: 0 }, 'never below zero');
});

test('deletions are tracked per object: a repeat or an unexpected deletion does not count', (t) => {
  const e = new ControllerExpectations(new FakeClock());
  e.expectDeletions('ns/rs', ['ns/a', 'ns/b']);
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/a');
  e.deletionObserved('ns/rs', 'ns/other');
  t.false(e.satisfied('ns/rs'));
  e.deletionObserved('ns/rs', 'ns/b');
  t.true(e.satisfied('ns/rs'));
});

test('expectations expire after the TTL so a lost event cannot stall a controller', (t) => {
  const clock = new FakeClock();
  const e = new ControllerExpectations(clock, 1000);
  e.expectCreations('k', 1);
  clock.advance(1000);
  t.false(e.satisfied('k'));
  clock.advance(1);
  t.true(e.satisfied('k'));
});

test('token bucket: burst, then one token per 1/rate seconds', (t) => {
  const clock = new FakeClock();
  const b = new TokenBucket(10, 2, clock);
  t.true(b.tryTake());
  t.true(b.tryTake());
  t.false(b.tryTake());
  t.is(b.waitMs(), 100);
  clock.advance(99);
  t.false(b.tryTake());
  clock.advance(1);
  t.true(b.tryTake());
  clock.advance(10_000);
  t.is(b.available(), 2, 'never above the burst');
});
