import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from '../args.js';
import { runTctl, type TctlRun } from '../testing/run-tctl.js';
import { UsageError } from '../errors.js';
import { GLOBAL_FLAGS } from '../command.js';
import { EXEC_FLAGS, execArgs } from './exec.js';

// The flags exec declares plus the global ones, as the command's parser sees them.
const FLAGS = { ...GLOBAL_FLAGS, ...EXEC_FLAGS };

const parse = (...argv: string[]): ReturnType<typeof execArgs> => {
  const p = parseArgs(argv, FLAGS);
  return execArgs(p.positionals, p.flags);
};

test('the pod, then everything after -- is the command, its own flags included', (t) => {
  t.deepEqual(parse('web', '--', 'sh', '-c', 'echo hi; ls -l'), { pod: 'web', command: ['sh', '-c', 'echo hi; ls -l'], stdin: false });
  t.deepEqual(parse('-c', 'app', 'web', '-i', '--', 'cat', '--', '-n'), { pod: 'web', command: ['cat', '--', '-n'], container: 'app', stdin: true });
  t.deepEqual(parse('pod/web', '-n', 'team', '--', 'hostname'), { pod: 'web', command: ['hostname'], stdin: false });
  // The old form without "--", as kubectl still takes it.
  t.deepEqual(parse('web', 'date'), { pod: 'web', command: ['date'], stdin: false });
  t.deepEqual(parse('web', '--timeout', '1500ms', '--', 'sleep', '9'), { pod: 'web', command: ['sleep', '9'], stdin: false, timeoutSeconds: 2 });
});

test('mistakes are usage errors with one clear line', (t) => {
  t.throws(() => parse(), { instanceOf: UsageError, message: /^a pod name is required/ });
  t.throws(() => parse('web'), { instanceOf: UsageError, message: /^you must specify at least one command for the container/ });
  t.throws(() => parse('web', '--'), { instanceOf: UsageError, message: /^you must specify at least one command/ });
  t.throws(() => parse('-it', 'web', '--', 'sh'), { instanceOf: UsageError, message: /^a terminal \(-t\) is not supported/ });
  t.throws(() => parse('deployment/web', '--', 'sh'), { instanceOf: UsageError, message: 'tctl exec runs in a pod, not a deployment: give POD or pod/NAME' });
  t.throws(() => parse('web', '--timeout', '0s', '--', 'sh'), { instanceOf: UsageError });
  // A flag of the command given before "--" is tctl's, and unknown.
  t.throws(() => parse('web', 'ls', '-l'), { instanceOf: UsageError, message: /unknown shorthand flag: 'l'/ });
});

test('through the CLI: usage errors exit 2 before any connection; exec is listed', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'tctl-exec-'));
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const run = (...argv: string[]): Promise<TctlRun> => runTctl(argv, { TUGBOAT_HOME: home, TCTL_SERVER: '127.0.0.1:1' });
  const noCommand = await run('exec', 'web');
  t.is(noCommand.code, 2);
  t.is(noCommand.stderr, `error: you must specify at least one command for the container (usage: tctl exec POD [-c CONTAINER] [-i] -- COMMAND [ARG...])\n`);
  t.is((await run('exec', 'web', '--frob', '--', 'sh')).code, 2);
  const help = await run('exec', '--help');
  t.is(help.code, 0);
  t.regex(help.stdout, /-c, --container NAME/);
  t.regex((await run('--help')).stdout, /^ {2}exec\s+Run a command in a container of a pod$/m);
});
