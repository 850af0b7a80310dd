import test from 'ava';
import { formatHelp, parseArgs, durationArg } from './args.js';
import { UsageError } from './errors.js';

const defs = {
  namespace: { type: 'string', short: 'n', description: 'ns' },
  'all-namespaces': { type: 'boolean', short: 'A', description: 'all' },
  watch: { type: 'boolean', short: 'w', description: 'watch' },
  filename: { type: 'strings', short: 'f', description: 'files' },
  output: { type: 'string', short: 'o', description: 'out' },
  'grace-period': { type: 'int', description: 'grace', default: -1 },
  'dry-run': { type: 'string', bareValue: 'client', description: 'dry' },
  wait: { type: 'boolean', default: true, description: 'wait' },
} as const;

test('flags anywhere, in every kubectl spelling', (t) => {
  const p = parseArgs(['get', '-n', 'team', 'pods', '-owide', '--grace-period=5', 'web'], defs);
  t.deepEqual(p.positionals, ['get', 'pods', 'web']);
  t.is(p.flags.namespace, 'team');
  t.is(p.flags.output, 'wide');
  t.is(p.flags['grace-period'], 5);
  t.false(p.flags['all-namespaces']);
  t.is(parseArgs(['-n=x'], defs).flags.namespace, 'x');
  t.is(parseArgs(['--namespace', 'y'], defs).flags.namespace, 'y');
  t.is(parseArgs(['--output=jsonpath={.a=b}'], defs).flags.output, 'jsonpath={.a=b}');
});

test('grouped short booleans and explicit boolean values', (t) => {
  const p = parseArgs(['-Aw'], defs);
  t.true(p.flags['all-namespaces']);
  t.true(p.flags.watch);
  t.false(parseArgs(['--wait=false'], defs).flags.wait);
  t.true(parseArgs([], defs).flags.wait);
  t.throws(() => parseArgs(['--wait=maybe'], defs), { instanceOf: UsageError });
});

test('repeatable flags collect, "-" is a positional value, -- ends flags', (t) => {
  const p = parseArgs(['-f', 'a.yaml', '-f', '-', '--', '-x'], defs);
  t.deepEqual(p.flags.filename, ['a.yaml', '-']);
  t.deepEqual(p.positionals, ['-x']);
  t.true(p.given.has('filename'));
});

test('a bare value flag only takes a value with =', (t) => {
  t.is(parseArgs(['--dry-run', 'x'], defs).flags['dry-run'], 'client');
  t.deepEqual(parseArgs(['--dry-run', 'x'], defs).positionals, ['x']);
  t.is(parseArgs(['--dry-run=server'], defs).flags['dry-run'], 'server');
});

test('unknown flags, missing values and bad integers are usage errors with one line', (t) => {
  const unknown = t.throws(() => parseArgs(['--bogus'], defs, 'tctl get'), { instanceOf: UsageError });
  t.is(unknown?.message, "unknown flag: --bogus (see 'tctl get --help')");
  t.throws(() => parseArgs(['-x'], defs), { message: /unknown shorthand flag: 'x'/ });
  t.throws(() => parseArgs(['-n'], defs), { message: /flag needs an argument: -n/ });
  t.throws(() => parseArgs(['--grace-period', 'soon'], defs), { message: /expected an integer/ });
});

test('negative numbers are positionals, not flags', (t) => {
  t.deepEqual(parseArgs(['--grace-period', '-1', '-5'], defs).positionals, ['-5']);
  t.is(parseArgs(['--grace-period', '-1'], defs).flags['grace-period'], -1);
});

test('durations', (t) => {
  t.is(durationArg('30s'), 30_000);
  t.is(durationArg('1h30m'), 5_400_000);
  t.is(durationArg('500ms'), 500);
  t.is(durationArg('2'), 2000);
  t.throws(() => durationArg('soon'), { instanceOf: UsageError });
  t.throws(() => durationArg('5s junk'), { instanceOf: UsageError });
});

test('help lists visible flags only', (t) => {
  const help = formatHelp('tctl x', 'Does x', { a: { type: 'boolean', short: 'a', description: 'the a' }, b: { type: 'string', hidden: true, description: 'secret' } });
  t.regex(help, /-a, --a\s+the a/);
  t.notRegex(help, /secret/);
});
