// tugboat-dns flags: defaults, values, and one-line errors naming the flag.
import test from 'ava';
import { parseFlags, parseUpstreams } from './flags.js';

test('defaults: 127.0.0.1:53, cluster.local, 198.19.0.10, advertised at the listen host, no upstream, pods insecure', (t) => {
  t.deepEqual(parseFlags(['--kubeconfig', 'k']), {
    kubeconfig: 'k', server: '', listen: '127.0.0.1:53', httpListen: '127.0.0.1:9153', clusterDomain: 'cluster.local',
    upstreams: [], serviceIP: '198.19.0.10', advertiseAddress: '127.0.0.1', pods: 'insecure',
  });
  t.is(parseFlags(['--help']), 'help');
});

test('every flag, in both spellings', (t) => {
  const f = parseFlags(['--listen=0.0.0.0:5353', '--advertise-address', '198.19.255.1', '--http-listen', ':9153', '--cluster-domain', 'Example.Test.',
    '--upstream', '198.19.255.1:53,198.19.255.2', '--service-ip', '198.19.0.53', '--server', '127.0.0.1:6443', '--pods=verified']);
  if (f === 'help') return t.fail();
  t.like(f, { listen: '0.0.0.0:5353', advertiseAddress: '198.19.255.1', httpListen: ':9153', clusterDomain: 'example.test', serviceIP: '198.19.0.53', server: '127.0.0.1:6443', pods: 'verified' });
  t.deepEqual(f.upstreams, [{ host: '198.19.255.1', port: 53 }, { host: '198.19.255.2', port: 53 }]);
});

test('errors name the flag', (t) => {
  const err = (argv: string[]): string => { try { parseFlags(argv); return ''; } catch (e) { return (e as Error).message; } };
  t.is(err(['--listen', '0.0.0.0:53']), '--advertise-address: required when --listen (0.0.0.0:53) names no single IP address pods can reach');
  t.is(err(['--listen', 'x']), '--listen: expected HOST:PORT, got "x"');
  t.is(err(['--cluster-domain', 'bad_domain']), '--cluster-domain: "bad_domain" is not a DNS name (e.g. cluster.local)');
  t.is(err(['--service-ip', 'ten']), '--service-ip: "ten" is not an IP address');
  t.is(err(['--advertise-address', 'host']), '--advertise-address: "host" is not an IP address');
  t.is(err(['--upstream', 'dns.example:53']), '--upstream: expected IP:PORT[,IP:PORT…], got "dns.example:53"');
  t.is(err(['--pods', 'all']), '--pods: expected insecure, verified or disabled, got "all"');
  t.is(err(['--nope']), 'unknown flag --nope');
  t.is(err(['--listen']), '--listen needs a value');
  t.deepEqual(parseUpstreams('[::1]:5353'), [{ host: '::1', port: 5353 }]);
});

test('a value that starts with -- is a missing value, not the value (--server --listen x)', (t) => {
  t.throws(() => parseFlags(['--server', '--listen', '127.0.0.1:53']), { message: '--server needs a value' });
  t.throws(() => parseFlags(['--upstream', '--service-ip', '198.19.0.10']), { message: '--upstream needs a value' });
});
