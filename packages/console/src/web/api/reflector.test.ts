import test from 'ava';
import { flushDelay } from './reflector.js';

test('flushDelay: 50 ms while renders are cheap; past that, renders take at most a third of the thread, and never wait more than 1 s', (t) => {
  t.is(flushDelay(0), 50);
  t.is(flushDelay(20), 50);
  t.is(flushDelay(100), 200);
  t.is(flushDelay(5000), 1000);
});
