import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { osFreePort as freePortForTest } from './cluster/ports.js';
import { runCli } from './cli.js';
import type { Io } from './context.js';

const homes: string[] = [];
test.after.always(() => { for (const h of homes) rmSync(h, { recursive: true, force: true }); });

function io(env: Record<string, string> = {}, stdin = ''): Io & { stdout: string; stderr: string } {
  const home = mkdtempSync(join(tmpdir(), 'tctl-cli-'));
  homes.push(home);
  const o = {
    stdout: '',
    stderr: '',
    out(s: string) { o.stdout += s; },
    err(s: string) { o.stderr += s; },
    readStdin: async () => stdin,
    env: { TUGBOAT_HOME: home, ...env },
    cwd: home,
    signal: new AbortController().signal,
  };
  return o;
}

test('help, unknown commands and flags: one line, usage exit code 2', async (t) => {
  const a = io();
  t.is(await runCli(['--help'], a), 0);
  t.regex(a.stdout, /^ {2}apply\s/m);
  const b = io();
  t.is(await runCli(['frobnicate'], b), 2);
  t.is(b.stderr, 'error: unknown command "frobnicate" for "tctl" (see \'tctl --help\')\n');
  const c = io();
  t.is(await runCli(['get', 'pods', '--frob'], c), 2);
  t.is(c.stderr, "error: unknown flag: --frob (see 'tctl get --help')\n");
  const d = io();
  t.is(await runCli(['cluster', 'up', '--runtime', 'docker'], d), 2);
  t.is(d.stderr, 'error: --runtime must be one of process, fake, oci\n');
});

test('a server that is down: one line naming the address, from --server, $TCTL_SERVER or the config file', async (t) => {
  const port = await freePortForTest();
  const address = `127.0.0.1:${port}`;
  const a = io();
  t.is(await runCli(['get', 'pods', '--server', address], a), 1);
  t.is(a.stderr, `error: cannot reach the API server at ${address}\n`);
  const b = io({ TCTL_SERVER: address });
  t.is(await runCli(['-n', 'x', 'apply', '-f', '-'], { ...b, readStdin: async () => 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' }), 1);
  t.is(b.stderr, `error: cannot reach the API server at ${address}\n`);
  const c = io();
  writeFileSync(join(c.env['TUGBOAT_HOME']!, 'config.json'), JSON.stringify({ server: address }));
  t.is(await runCli(['version'], c), 1);
  t.is(c.stdout, 'Client Version: v0.1.0\n');
  t.is(c.stderr, `error: cannot reach the API server at ${address}\n`);
});

test('apply --dry-run=client works without a server and prints the defaulted objects', async (t) => {
  const port = await freePortForTest();
  const a = io({ TCTL_SERVER: `127.0.0.1:${port}` });
  const manifest = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: c\n    image: busybox\n';
  t.is(await runCli(['apply', '-f', '-', '--dry-run=client'], { ...a, readStdin: async () => manifest }), 0, a.stderr);
  t.is(a.stdout, 'pod/web created (dry run)\n');
  const b = io({ TCTL_SERVER: `127.0.0.1:${port}` });
  t.is(await runCli(['apply', '-f', '-', '--dry-run=client', '-o', 'yaml', '-n', 'team'], { ...b, readStdin: async () => manifest }), 0, b.stderr);
  t.regex(b.stdout, /^ {2}namespace: team$/m);
  t.regex(b.stdout, /^ {2}restartPolicy: Always$/m);
});

test('a namespace in the manifest that differs from -n is an error for that document', async (t) => {
  const port = await freePortForTest();
  const a = io({ TCTL_SERVER: `127.0.0.1:${port}` });
  const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: one\n';
  t.is(await runCli(['apply', '-f', '-', '-n', 'two', '--dry-run=client'], { ...a, readStdin: async () => manifest }), 1);
  t.is(a.stderr, 'error: STDIN (document 1): the namespace from the provided object "one" does not match the namespace "two". You must pass \'--namespace=one\' to perform this operation.\n');
});
