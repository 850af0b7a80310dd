import test from 'ava';
import { ApiError } from '@tugboat/api';
import { applyMergePatch } from './merge-patch.js';

// The examples of RFC 7386's appendix, each on a {"a": …} document.
const cases: Array<[unknown, unknown, unknown]> = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

for (const [i, [doc, p, want]] of cases.entries()) {
  test(`RFC 7386 example ${i + 1}`, (t) => {
    t.deepEqual(applyMergePatch(doc as never, JSON.stringify(p)), want);
  });
}

test('lists are replaced whole, labels merged, null removes a label', (t) => {
  const deploy = { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } } };
  const out = applyMergePatch(deploy, JSON.stringify({ metadata: { labels: { tier: null, env: 'prod' } }, spec: { template: { spec: { containers: [{ name: 'c' }] } } } }));
  t.deepEqual(out, { metadata: { labels: { app: 'web', env: 'prod' } }, spec: { template: { spec: { containers: [{ name: 'c' }] } } } });
});

test('a patch that is not a JSON object is 400 Invalid JSON Patch', (t) => {
  for (const body of ['null', '[1]', '"x"', '{']) {
    const err = t.throws(() => applyMergePatch({}, body));
    t.true(err instanceof ApiError && err.reason === 'BadRequest', body);
  }
});
