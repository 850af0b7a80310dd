import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTctl, type TctlRun } from './testing/run-tctl.js';
import { GLOBAL_FLAGS, scanLeadingFlags, splitCommand } from './command.js';
import { UsageError } from './errors.js';

test('global flags before the command are passed on after it, with their values', (t) => {
  t.deepEqual(splitCommand(['-n', 'team', 'get', 'pods']), { name: 'get', rest: ['-n', 'team', 'pods'] });
  t.deepEqual(splitCommand(['--token', 'abc', '--as', 'alice', '--as-group', 'dev', 'get', 'pods']), { name: 'get', rest: ['--token', 'abc', '--as', 'alice', '--as-group', 'dev', 'pods'] });
  t.deepEqual(splitCommand(['--kubeconfig=/k', '-nteam', '-s', 'h:1', 'auth', 'whoami']), { name: 'auth', rest: ['--kubeconfig=/k', '-nteam', '-s', 'h:1', 'whoami'] });
  // The word after a value flag is its value, even when it looks like a command.
  t.deepEqual(splitCommand(['--context', 'get', 'version']), { name: 'version', rest: ['--context', 'get'] });
  t.deepEqual(splitCommand(['--help']), { name: '--help', rest: [] });
  t.deepEqual(splitCommand([]), { name: undefined, rest: [] });
});

test('every global flag that takes a value is known to the scan, from GLOBAL_FLAGS', (t) => {
  for (const [name, def] of Object.entries(GLOBAL_FLAGS)) {
    if (name === 'help') continue;
    const argv = def.type === 'boolean' ? [`--${name}`, 'get'] : [`--${name}`, 'VALUE', 'get'];
    t.is(splitCommand(argv).name, 'get', name);
  }
});

test('an unknown leading flag is a usage error in kubectl\'s words; non-strict scans stop there', (t) => {
  t.throws(() => splitCommand(['--bogus', 'get', 'pods']), { instanceOf: UsageError, message: "unknown flag: --bogus (see 'tctl --help')" });
  t.throws(() => splitCommand(['-A', 'get', 'pods']), { instanceOf: UsageError, message: "unknown shorthand flag: 'A' in -A (see 'tctl --help')" });
  t.throws(() => splitCommand(['--bogus'], 'tctl auth'), { message: "unknown flag: --bogus (see 'tctl auth --help')" });
  t.deepEqual(scanLeadingFlags(['-n', 'a', '-f', 'x.yaml'], 'tctl create', false), { leading: ['-n', 'a'], index: 2 });
  t.deepEqual(scanLeadingFlags(['-n', 'a', 'token', 'sa'], 'tctl create', false), { leading: ['-n', 'a'], index: 2 });
});

test('through the CLI: `tctl --token X get pods` no longer takes X for the command; unknown flags exit 2', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tctl-command-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const run = (...argv: string[]): Promise<TctlRun> => runTctl(argv, { TUGBOAT_HOME: home, TCTL_SERVER: '127.0.0.1:1' });
  const bogus = await run('--bogus', 'get', 'pods');
  t.is(bogus.code, 2);
  t.is(bogus.stderr, "error: unknown flag: --bogus (see 'tctl --help')\n");
  const token = await run('--token', 'X', 'get', 'pods');
  t.is(token.code, 1);
  t.is(token.stderr, 'error: cannot reach the API server at 127.0.0.1:1\n');
  t.is((await run('--version')).stdout, 'tctl v0.1.0\n');
  const group = await run('--as-group', 'dev', 'get', 'pods');
  t.is(group.code, 2);
  t.regex(group.stderr, /^error: requesting uid or groups without impersonating a user/);
});
