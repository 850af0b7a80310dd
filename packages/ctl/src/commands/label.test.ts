import test from 'ava';
import { applyMapChange, parseMapChanges } from './label.js';
import { CliError, UsageError } from '../errors.js';

test('key=value sets, key- removes; changing needs --overwrite', (t) => {
  const c = parseMapChanges(['a=1', 'b-', 'c=x=y']);
  t.deepEqual(c, { set: { a: '1', c: 'x=y' }, remove: ['b'] });
  const map: Record<string, string> = { a: '1', b: '2' };
  t.true(applyMapChange(map, c, false));
  t.deepEqual(map, { a: '1', c: 'x=y' });
  t.false(applyMapChange(map, parseMapChanges(['a=1']), false), 'the same value is no change');
  t.throws(() => applyMapChange(map, parseMapChanges(['a=2']), false), { instanceOf: CliError, message: "'a' already has a value (1), and --overwrite is false" });
  t.true(applyMapChange(map, parseMapChanges(['a=2']), true));
  t.throws(() => parseMapChanges(['oops']), { instanceOf: UsageError });
});
