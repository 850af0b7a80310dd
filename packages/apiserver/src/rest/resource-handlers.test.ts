import test from 'ava';
import { ApiError } from '@tugboat/api';
import { parseBodyObject } from './resource-handlers.js';

test('an apply body that is not YAML is refused in one line, saying where', (t) => {
  const dup = 'apiVersion: v1\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n';
  const err = t.throws(() => parseBodyObject(dup, true), { instanceOf: ApiError });
  t.is(err?.reason, 'BadRequest');
  t.regex(err?.message ?? '', /^the apply body is not valid YAML or JSON: Map keys must be unique at line 2, column 1$/);
  const bad = t.throws(() => parseBodyObject('kind: [\n', true), { instanceOf: ApiError });
  t.notRegex(bad?.message ?? '', /\n/);
});

test('an alias bomb in an apply body is refused, not expanded', (t) => {
  let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
  for (let i = 1; i < 10; i++) text += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
  const err = t.throws(() => parseBodyObject(text, true), { instanceOf: ApiError });
  t.notRegex(err?.message ?? '', /\n/);
});

test('an alias inside the node it names is refused in one line (JSON cannot hold the cycle)', (t) => {
  const err = t.throws(() => parseBodyObject('apiVersion: v1\nkind: Namespace\nmetadata: &meta\n  x-copy: *meta\n', true), { instanceOf: ApiError });
  t.is(err?.reason, 'BadRequest');
  t.is(err?.message, 'the apply body is not valid YAML or JSON: an alias refers to a node that contains it');
});

test('a YAML apply body becomes the object', (t) => {
  t.deepEqual(parseBodyObject('apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n', true), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
});
