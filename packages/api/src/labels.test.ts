import test from 'ava';
import { ApiError } from './errors.js';
import { parseLabelSelector, selectorFromLabelSelector, selectorFromSet, formatLabels, LabelSelectorRequirements, EVERYTHING, NOTHING } from './labels.js';

test('parses equality, set-based and existence requirements', (t) => {
  const s = parseLabelSelector('app=web,tier in (frontend, backend),!legacy,env!=prod,track');
  t.true(s.matches({ app: 'web', tier: 'frontend', track: 'stable' }));
  t.true(s.matches({ app: 'web', tier: 'backend', env: 'dev', track: '' }));
  t.false(s.matches({ app: 'web', tier: 'frontend' }), 'track must exist');
  t.false(s.matches({ app: 'web', tier: 'frontend', track: 'x', legacy: 'true' }), '!legacy');
  t.false(s.matches({ app: 'web', tier: 'frontend', track: 'x', env: 'prod' }), 'env!=prod');
  t.false(s.matches({ app: 'api', tier: 'frontend', track: 'x' }));
  t.false(s.matches({ app: 'web', tier: 'db', track: 'x' }));
  t.false(s.matches(undefined));
});

test('operators behave as Kubernetes defines them on missing labels', (t) => {
  t.true(parseLabelSelector('a!=x').matches({}), '!= matches a missing key');
  t.true(parseLabelSelector('a notin (x,y)').matches({}), 'notin matches a missing key');
  t.false(parseLabelSelector('a in (x,y)').matches({}));
  t.false(parseLabelSelector('a=x').matches({}));
  t.true(parseLabelSelector('a==x').matches({ a: 'x' }));
  t.true(parseLabelSelector('a=').matches({ a: '' }), 'empty value');
  t.false(parseLabelSelector('a=').matches({ a: 'x' }));
  t.true(parseLabelSelector('a notin (x)').matches({ a: 'z' }));
  t.false(parseLabelSelector('a notin (x)').matches({ a: 'x' }));
  t.true(parseLabelSelector('x in (in,notin)').matches({ x: 'notin' }), 'keywords are values in value position');
  t.true(parseLabelSelector('a in ()').matches({ a: '' }));
  t.true(parseLabelSelector('a in (,b)').matches({ a: '' }));
});

test('empty selector matches everything', (t) => {
  for (const text of ['', '  ']) {
    const s = parseLabelSelector(text);
    t.true(s.isEmpty());
    t.true(s.matches({}));
    t.true(s.matches(undefined));
    t.is(s.toString(), '');
  }
  t.true(EVERYTHING.matches({ a: 'b' }));
  t.false(NOTHING.matches({}));
});

test('toString is canonical and round-trips', (t) => {
  const cases: Array<[string, string]> = [
    ['b=1,a=2', 'a=2,b=1'],
    ['tier in (b, a, a)', 'tier in (a,b)'],
    ['x notin (z,y)', 'x notin (y,z)'],
    ['!legacy', '!legacy'],
    ['  track ', 'track'],
    ['a==b', 'a==b'],
    ['a != b', 'a!=b'],
    ['example.com/app=web,app.kubernetes.io/name in (x)', 'app.kubernetes.io/name in (x),example.com/app=web'],
  ];
  for (const [input, want] of cases) {
    const s = parseLabelSelector(input);
    t.is(s.toString(), want, input);
    t.is(parseLabelSelector(s.toString()).toString(), want, `round trip of ${input}`);
  }
});

test('bad syntax is a BadRequest with one clear line', (t) => {
  const bad = ['a=b=c', 'a in b', 'a in (b', '=b', 'a,', ',a', 'a b', 'Bad Key=1', 'a=x y', 'a>1', 'a<1', '!a=b', 'a=-bad-', 'a in (b c)', 'a=(b)', `${'x'.repeat(64)}=1`, 'a/b/c=1'];
  for (const text of bad) {
    const err = t.throws(() => parseLabelSelector(text), { instanceOf: ApiError }, text);
    t.is(err?.reason, 'BadRequest', text);
    t.false(err?.message.includes('\n'), text);
    t.true(err?.message.startsWith('invalid label selector'), text);
  }
  t.regex(t.throws(() => parseLabelSelector('a=-bad-'))?.message ?? '', /invalid label value: "-bad-": at key: "a"/);
  t.regex(t.throws(() => parseLabelSelector('Bad_/x=1'))?.message ?? '', /invalid label key "Bad_\/x"/);
});

test('selectorFromLabelSelector follows Kubernetes nil/empty rules', (t) => {
  t.false(selectorFromLabelSelector(undefined).matches({ a: 'b' }), 'undefined matches nothing');
  t.false(selectorFromLabelSelector(null).matches({}), 'null matches nothing');
  t.true(selectorFromLabelSelector({}).matches({ a: 'b' }), '{} matches everything');
  t.true(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).isEmpty());
  const s = selectorFromLabelSelector({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['a', 'b'] },
      { key: 'env', operator: 'NotIn', values: ['prod'] },
      { key: 'track', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  t.is(s.toString(), 'app=web,env notin (prod),!legacy,tier in (a,b),track');
  t.true(s.matches({ app: 'web', tier: 'a', track: '1' }));
  t.false(s.matches({ app: 'web', tier: 'a', track: '1', legacy: '' }));
  t.false(s.matches({ app: 'web', tier: 'c', track: '1' }));
  t.is(parseLabelSelector(s.toString()).toString(), s.toString());
  t.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }), { message: '"Gt" is not a valid label selector operator' });
  t.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }), { instanceOf: ApiError });
  t.throws(() => selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }), { instanceOf: ApiError });
  t.throws(() => selectorFromLabelSelector({ matchLabels: { 'bad key': 'x' } }), { instanceOf: ApiError });
});

test('set helpers', (t) => {
  const s = selectorFromSet({ b: '2', a: '1' });
  t.is(s.toString(), 'a=1,b=2');
  t.true(s.matches({ a: '1', b: '2', c: '3' }));
  t.is(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  t.is(formatLabels(undefined), '');
  t.true(s instanceof LabelSelectorRequirements);
  t.deepEqual((s as LabelSelectorRequirements).requirements.map((r) => r.key), ['a', 'b']);
});
