import test from 'ava';
import { parseFlags } from './flags.js';

test('flags as --flag value and --flag=value, with defaults', (t) => {
  const p = parseFlags(['--etcd-servers', 'http://127.0.0.1:2379,http://127.0.0.2:2379/', '--listen=0.0.0.0:7443']);
  if (p.help) return t.fail();
  t.deepEqual(p.options.etcdServers, ['http://127.0.0.1:2379', 'http://127.0.0.2:2379']);
  t.is(p.options.listen, '0.0.0.0:7443');
  t.is(p.options.httpListen, '127.0.0.1:6480');
});

test('bad flags are one-line errors', (t) => {
  t.throws(() => parseFlags(['--etcd-servers', 'http://x:1', '--bogus', '1']), { message: 'unknown flag --bogus' });
  t.throws(() => parseFlags([]), { message: /--etcd-servers is required/ });
  t.throws(() => parseFlags(['--etcd-servers', 'x:1']), { message: /not an http\(s\):\/\/HOST:PORT URL/ });
  t.throws(() => parseFlags(['--etcd-servers', 'http://x:1', '--listen', 'nope']), { message: /--listen: expected HOST:PORT/ });
  t.throws(() => parseFlags(['--etcd-servers']), { message: 'flag --etcd-servers needs a value' });
});

test('--help', (t) => {
  t.deepEqual(parseFlags(['--etcd-servers', 'http://x:1', '--help']), { help: true });
});
