import test from 'ava';
import { ApiError } from '../errors.js';
import { retryOnConflict } from './retry.js';

test('retries on Conflict only, and gives up after the attempts', async (t) => {
  let calls = 0;
  t.is(await retryOnConflict(async () => { if (++calls < 3) throw new ApiError('Conflict', 'stale'); return 'done'; }), 'done');
  t.is(calls, 3);
  calls = 0;
  await t.throwsAsync(retryOnConflict(async () => { calls++; throw new ApiError('NotFound', 'gone'); }), { message: 'gone' });
  t.is(calls, 1, 'other errors are not retried');
  calls = 0;
  await t.throwsAsync(retryOnConflict(async () => { calls++; throw new ApiError('Conflict', 'always'); }, 4), { message: 'always' });
  t.is(calls, 4);
});
