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

test('each try is told its index; further reasons can be retried too', async (t) => {
  const seen: number[] = [];
  t.is(await retryOnConflict(async (attempt) => { seen.push(attempt); if (attempt < 2) throw new ApiError('Conflict', 'stale'); return 'done'; }), 'done');
  t.deepEqual(seen, [0, 1, 2]);
  let calls = 0;
  const reasons = ['AlreadyExists', 'NotFound', 'Conflict'] as const;
  t.is(await retryOnConflict(async () => { const r = reasons[calls++]; if (r) throw new ApiError(r, r); return 'made'; }, { attempts: 4, alsoOn: ['AlreadyExists', 'NotFound'] }), 'made');
  t.is(calls, 4);
  calls = 0;
  await t.throwsAsync(retryOnConflict(async () => { calls++; throw new ApiError('AlreadyExists', 'taken'); }, { attempts: 3, alsoOn: ['NotFound'] }), { message: 'taken' });
  t.is(calls, 1, 'a reason not named is not retried');
  calls = 0;
  await t.throwsAsync(retryOnConflict(async () => { calls++; throw new ApiError('NotFound', 'gone'); }, { attempts: 3, alsoOn: ['NotFound'] }), { message: 'gone' });
  t.is(calls, 3);
});
