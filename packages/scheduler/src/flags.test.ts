import test from 'ava';
import { parseFlags } from './flags.js';

test('flags as --flag value and --flag=value', (t) => {
  const f = parseFlags(['--kubeconfig', '/pki/scheduler.kubeconfig', '--server', '127.0.0.1:6443', '--config=/etc/s.yaml', '--http-listen', '127.0.0.1:0', '--id', 'a']);
  t.deepEqual(f, { server: '127.0.0.1:6443', kubeconfig: '/pki/scheduler.kubeconfig', config: '/etc/s.yaml', httpListen: '127.0.0.1:0', leaderElect: true, id: 'a' });
});

test('--leader-elect takes true/false, alone means true', (t) => {
  const le = (args: string[]): boolean => { const f = parseFlags(['--server', 'x:1', ...args]); return f !== 'help' && f.leaderElect; };
  t.false(le(['--leader-elect=false']));
  t.false(le(['--leader-elect', 'false']));
  t.true(le(['--leader-elect']));
  t.true(le(['--leader-elect', '--id', 'b']));
});

test('--help, unknown flags, missing values', (t) => {
  t.is(parseFlags(['--help']), 'help');
  t.is(t.throws(() => parseFlags(['--server', 'x:1', '--bogus']))!.message, 'unknown flag --bogus');
  t.is(t.throws(() => parseFlags(['--server']))!.message, '--server needs a value');
  t.is(t.throws(() => parseFlags(['--server', 'x:1', '--leader-elect=maybe']))!.message, '--leader-elect: expected true or false, got "maybe"');
});

test('a value that starts with -- is a missing value, not the value (--server --id x)', (t) => {
  t.is(t.throws(() => parseFlags(['--server', '--id', 'x']))!.message, '--server needs a value');
  t.is(t.throws(() => parseFlags(['--id', '--leader-elect']))!.message, '--id needs a value');
});
