// The shared flag parser: every kind, both spellings, and every error as the one line users see.
import test from 'ava';
import { FlagError, defineFlags, formatFlagUsage, parseCommandLine, pickFlags, type FlagErrorReason } from './flags.js';

const TABLE = defineFlags({
  server: { kind: 'string', metavar: 'ADDR', help: 'API server address' },
  id: { kind: 'string', default: 'me', help: 'identity' },
  'leader-elect': { kind: 'boolean', default: 'true', help: 'take part in leader election' },
  verbose: { kind: 'boolean', help: 'say more' },
  workers: { kind: 'integer', min: 1, default: '5', help: 'workers' },
  keep: { kind: 'integer', min: 0, help: 'kept' },
  mask: { kind: 'integer', min: 1, max: 32, help: 'prefix', expect: 'a prefix length from 1 to 32' },
  rate: { kind: 'number', positive: true, default: '10', help: 'per second' },
  fraction: { kind: 'number', positive: true, max: 1, expect: 'a fraction in (0, 1]', help: 'share' },
  period: { kind: 'duration', positive: true, default: '10s', help: 'how often', section: 'Timing:' },
  delay: { kind: 'duration', default: '0s', help: 'wait' },
  audiences: { kind: 'list', help: 'audiences' },
  dns: { kind: 'list', item: 'ip', default: '', help: 'nameservers' },
  'service-ip': { kind: 'ip', help: 'ClusterIP', section: '' },
  'pod-cidr': { kind: 'cidr', help: 'pods' },
  listen: { kind: 'host-port', default: '127.0.0.1:53', metavar: 'HOST:PORT', help: 'where' },
  mode: { kind: 'enum', values: ['nftables', 'off', 'auto'], expect: 'nftables or off', default: 'auto', help: 'proxy\nand more' },
  color: { kind: 'enum', values: ['red', 'green', 'blue'], help: 'colour' },
  pair: {
    kind: 'custom', help: 'k=v',
    parse: (text: string, flag: string): [string, string] => {
      const [k, v, ...rest] = text.split('=');
      if (!k || v === undefined || rest.length) throw new Error(`${flag}: expected k=v, got ${JSON.stringify(text)}`);
      return [k, v];
    },
  },
});

const parse = (argv: string[]) => {
  const r = parseCommandLine(argv, TABLE);
  if (r.help) throw new Error('unexpected help');
  return r.values;
};

/** The FlagError argv throws: its message, reason and flag. */
const fails = (argv: string[]): { message: string; reason: FlagErrorReason; flag: string | undefined } => {
  try {
    parseCommandLine(argv, TABLE);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    return { message: e.message, reason: e.reason, flag: e.flag };
  }
  throw new Error(`${JSON.stringify(argv)} was accepted`);
};

test('defaults are parsed like typed values; flags without one are undefined', (t) => {
  const v = parse([]);
  t.like(v, { id: 'me', 'leader-elect': true, workers: 5, rate: 10, period: 10_000, delay: 0, listen: '127.0.0.1:53', mode: 'auto' });
  t.deepEqual(v.dns, []);
  for (const name of ['server', 'verbose', 'keep', 'mask', 'fraction', 'audiences', 'service-ip', 'pod-cidr', 'color', 'pair'] as const) t.is(v[name], undefined, name);
});

test('every kind, as --flag value and as --flag=value', (t) => {
  const argv = {
    server: '127.0.0.1:6443', id: 'a=b', workers: '2', keep: '0', mask: '26', rate: '0.5', fraction: '1', period: '1m30s', delay: '500ms',
    audiences: 'a, b,,c', dns: '198.19.0.10,::1', 'service-ip': '198.19.0.10', 'pod-cidr': '198.18.8.1/24', listen: ':9000', mode: 'off', color: 'blue', pair: 'x=y',
  };
  const expected = {
    server: '127.0.0.1:6443', id: 'a=b', workers: 2, keep: 0, mask: 26, rate: 0.5, fraction: 1, period: 90_000, delay: 500,
    audiences: ['a', 'b', 'c'], dns: ['198.19.0.10', '::1'], 'service-ip': '198.19.0.10', 'pod-cidr': '198.18.8.1/24', listen: ':9000', mode: 'off', color: 'blue', pair: ['x', 'y'],
  };
  const spaced = parse(Object.entries(argv).flatMap(([k, v]) => [`--${k}`, v]));
  const joined = parse(Object.entries(argv).map(([k, v]) => `--${k}=${v}`));
  t.like(spaced, expected);
  t.deepEqual(joined, spaced);
  t.is(parse(['--id=']).id, '', 'an empty value after = is a value');
  t.is(parse(['--server', '-1']).server, '-1', 'one dash is not a flag');
  t.is(parse(['--id', 'a', '--id', 'b']).id, 'b', 'the last one wins');
});

test('booleans: alone, =true|false, or followed by true|false', (t) => {
  t.is(parse(['--verbose']).verbose, true);
  t.is(parse(['--leader-elect=false'])['leader-elect'], false);
  t.is(parse(['--leader-elect', 'false'])['leader-elect'], false);
  t.is(parse(['--leader-elect', 'true'])['leader-elect'], true);
  const v = parse(['--leader-elect', '--id', 'x']);
  t.is(v['leader-elect'], true);
  t.is(v.id, 'x');
  t.like(fails(['--leader-elect', 'no']), { message: 'unexpected argument "no"', reason: 'unexpected-argument' }, 'only true/false is taken as a following value');
  t.like(fails(['--verbose=yes']), { message: '--verbose: expected true or false, got "yes"', reason: 'invalid-value', flag: '--verbose' });
});

test('--help and -h, wherever they come, unless something before them is wrong', (t) => {
  t.deepEqual(parseCommandLine(['--help'], TABLE), { help: true });
  t.deepEqual(parseCommandLine(['--id', 'x', '-h', '--workers', 'zero'], TABLE), { help: true });
  t.is(fails(['--bogus', '--help']).message, 'unknown flag --bogus');
});

test('the shape of the command line: unknown flags, stray arguments, missing values', (t) => {
  t.like(fails(['--bogus']), { message: 'unknown flag --bogus', reason: 'unknown-flag', flag: '--bogus' });
  t.like(fails(['--toString']), { message: 'unknown flag --toString' }, 'not an inherited property');
  t.like(fails(['server']), { message: 'unexpected argument "server"', reason: 'unexpected-argument', flag: undefined });
  t.like(fails(['-s', 'x']), { message: 'unexpected argument "-s"' });
  t.like(fails(['--']), { message: 'unexpected argument "--"' });
  t.like(fails(['--server']), { message: '--server needs a value', reason: 'missing-value', flag: '--server' });
  t.like(fails(['--server', '--id', 'x']), { message: '--server needs a value', reason: 'missing-value' }, 'a value that starts with -- is a missing value');
  t.like(fails(['--server', '--help']), { message: '--server needs a value' });
});

test('every value error names the flag and what it expected', (t) => {
  const message = (argv: string[]): string => {
    const e = fails(argv);
    t.is(e.reason, 'invalid-value', argv.join(' '));
    t.is(e.flag, argv[0]);
    return e.message;
  };
  t.is(message(['--workers', 'x']), '--workers: expected a positive integer, got "x"');
  t.is(message(['--workers', '0']), '--workers: expected a positive integer, got "0"');
  t.is(message(['--workers', '1.5']), '--workers: expected a positive integer, got "1.5"');
  t.is(message(['--workers', '']), '--workers: expected a positive integer, got ""');
  t.is(message(['--keep', '-1']), '--keep: expected a non-negative integer, got "-1"');
  t.is(message(['--keep', '0x10']), '--keep: expected a non-negative integer, got "0x10"');
  t.is(message(['--mask', '33']), '--mask: expected a prefix length from 1 to 32, got "33"');
  t.is(message(['--rate', '0']), '--rate: expected a positive number, got "0"');
  t.is(message(['--rate', 'fast']), '--rate: expected a positive number, got "fast"');
  t.is(message(['--fraction', '1.5']), '--fraction: expected a fraction in (0, 1], got "1.5"');
  t.is(message(['--period', 'soon']), '--period: invalid duration "soon" (expected e.g. 30s, 500ms or 1m30s)');
  t.is(message(['--period', '0s']), '--period: must be greater than 0');
  t.is(message(['--dns', '198.19.0.10,kube-dns']), '--dns: "kube-dns" is not an IP address');
  t.is(message(['--service-ip', 'ten']), '--service-ip: "ten" is not an IP address');
  t.is(message(['--pod-cidr', '198.18.8.0']), '--pod-cidr: expected an IPv4 CIDR such as 198.18.0.0/16, got "198.18.8.0"');
  t.is(message(['--pod-cidr', '198.18.8.0/33']), '--pod-cidr: expected an IPv4 CIDR such as 198.18.0.0/16, got "198.18.8.0/33"');
  t.is(message(['--listen', 'x']), '--listen: expected HOST:PORT, got "x"');
  t.is(message(['--mode', 'iptables']), '--mode: expected nftables or off, got "iptables"');
  t.is(message(['--color', 'pink']), '--color: expected red, green or blue, got "pink"');
  t.is(message(['--pair', 'x']), '--pair: expected k=v, got "x"', 'a custom parser\'s Error becomes a FlagError');
  t.is(message(['--delay', '-1s']), '--delay: invalid duration "-1s" (expected e.g. 30s, 500ms or 1m30s)');
});

test('a bad default is found on the first parse, not in production later', (t) => {
  const bad = defineFlags({ workers: { kind: 'integer', min: 1, default: 'five', help: '' } });
  t.throws(() => parseCommandLine([], bad), { instanceOf: FlagError, message: '--workers: expected a positive integer, got "five"' });
});

test('pickFlags: a subcommand takes some of the flags', (t) => {
  const sub = pickFlags(TABLE, ['id', 'workers']);
  t.deepEqual(Object.keys(sub), ['id', 'workers']);
  const r = parseCommandLine(['--workers', '3'], sub);
  t.deepEqual(r, { help: false, values: { id: 'me', workers: 3 } });
  t.is(t.throws(() => parseCommandLine(['--server', 'x:1'], sub))?.message, 'unknown flag --server');
});

test('--help text from the table: aligned help, continuation lines, groups, long names on their own line', (t) => {
  const usage = formatFlagUsage(pickFlags(TABLE, ['server', 'leader-elect', 'period', 'service-ip', 'mode']), { column: 24, sectionColumns: { 'Timing:': 14 }, help: 'this text' });
  t.is(usage, [
    '  --server ADDR         API server address',
    '  --leader-elect true|false',
    '                        take part in leader election',
    '',
    'Timing:',
    '  --period D  how often',
    '',
    '  --service-ip IP       ClusterIP',
    '  --mode nftables|off|auto',
    '                        proxy',
    '                        and more',
    '  --help                this text',
    '',
  ].join('\n'));
});
