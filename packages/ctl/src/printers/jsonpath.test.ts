import test from 'ava';
import { compileJsonPath } from './jsonpath.js';
import { UsageError } from '../errors.js';

const list = { items: [{ metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'x' } }, status: { phase: 'Running' } }, { metadata: { name: 'b' }, status: { phase: 'Pending' } }] };

test('fields, indexes, wildcards, quoted keys', (t) => {
  t.is(compileJsonPath('{.items[0].metadata.name}')(list), 'a');
  t.is(compileJsonPath('{.items[-1].status.phase}')(list), 'Pending');
  t.is(compileJsonPath('{.items[*].metadata.name}')(list), 'a b');
  t.is(compileJsonPath("{.items[0].metadata.labels['app.kubernetes.io/name']}")(list), 'x');
  t.is(compileJsonPath('{.items[0].metadata.labels.app\\.kubernetes\\.io/name}')(list), 'x');
  t.is(compileJsonPath('{.missing}')(list), '');
});

test('range and literals', (t) => {
  t.is(compileJsonPath('{range .items[*]}{.metadata.name}={.status.phase}{"\\n"}{end}')(list), 'a=Running\nb=Pending\n');
  t.is(compileJsonPath('phase: {.items[0].status.phase}')(list), 'phase: Running');
});

test('bad templates are usage errors', (t) => {
  t.throws(() => compileJsonPath('{.a'), { instanceOf: UsageError });
  t.throws(() => compileJsonPath('{range .items[*]}{.x}'), { instanceOf: UsageError });
  t.throws(() => compileJsonPath('{.a[?(@.x)]}'), { instanceOf: UsageError });
});
