import test from 'ava';
import { sleep } from './sleep.js';

test('waits the time, or until the signal aborts, and leaves no listener behind', async (t) => {
  const started = Date.now();
  await sleep(30);
  t.true(Date.now() - started >= 25);

  const ctl = new AbortController();
  let listeners = 0;
  const add = ctl.signal.addEventListener.bind(ctl.signal);
  const remove = ctl.signal.removeEventListener.bind(ctl.signal);
  ctl.signal.addEventListener = ((...a: Parameters<typeof add>) => { listeners++; add(...a); }) as typeof add;
  ctl.signal.removeEventListener = ((...a: Parameters<typeof remove>) => { listeners--; remove(...a); }) as typeof remove;
  for (let i = 0; i < 20; i++) await sleep(1, ctl.signal);
  t.is(listeners, 0, 'each timer removed its abort listener');

  const long = sleep(60_000, ctl.signal);
  setTimeout(() => ctl.abort(), 10);
  const t0 = Date.now();
  await long;
  t.true(Date.now() - t0 < 5_000, 'abort ends the sleep');
  await sleep(60_000, ctl.signal); // already aborted: at once
});
