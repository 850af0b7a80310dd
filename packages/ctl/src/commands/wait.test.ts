import test from 'ava';
import { conditionMet, parseFor } from './wait.js';
import { UsageError } from '../errors.js';

const deploy = { kind: 'Deployment', metadata: { name: 'web' }, status: { phase: 'x', conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'False' }] } };

test('conditions, deletion and jsonpath', (t) => {
  t.true(conditionMet(parseFor('condition=Available'), deploy));
  t.true(conditionMet(parseFor('condition=available'), deploy), 'case does not matter, as in kubectl');
  t.false(conditionMet(parseFor('condition=Progressing'), deploy));
  t.true(conditionMet(parseFor('condition=Progressing=false'), deploy));
  t.false(conditionMet(parseFor('condition=Available'), undefined), 'an object that does not exist yet meets no condition');
  t.true(conditionMet(parseFor('delete'), undefined));
  t.false(conditionMet(parseFor('delete'), deploy));
  t.true(conditionMet(parseFor("jsonpath='{.status.phase}'=x".replace(/'/g, '')), deploy));
  t.false(conditionMet(parseFor('jsonpath={.status.phase}=y'), deploy));
  t.true(conditionMet(parseFor('jsonpath={.status.phase}'), deploy));
});

test('a missing or unknown --for is a usage error', (t) => {
  t.throws(() => parseFor(undefined), { instanceOf: UsageError });
  t.throws(() => parseFor('ready'), { instanceOf: UsageError });
});
