import test from 'ava';
import { parseFlags as parse, type FlagFileReader } from './flags.js';

const files: Record<string, string> = { '/pki/apiserver.crt': 'CERT', '/pki/apiserver.key': 'KEY', '/pki/ca.crt': 'CA', '/pki/sa.pub': 'PUB', '/pki/sa.key': 'PRIV' };
const read: FlagFileReader = (path, flag) => {
  const v = files[path];
  if (v === undefined) throw new Error(`${flag} ${path}: cannot read it: ENOENT`);
  return v;
};
const TLS = ['--tls-cert-file', '/pki/apiserver.crt', '--tls-private-key-file', '/pki/apiserver.key'];
/** The flags with the serving certificate every command line needs. */
const parseFlags = (argv: string[]): ReturnType<typeof parse> => parse(argv.includes('--help') || argv.length === 0 ? argv : [...argv, ...TLS], read);

test('flags as --flag value and --flag=value, with defaults', (t) => {
  const p = parseFlags(['--etcd-servers', 'http://127.0.0.1:2379,http://127.0.0.2:2379/', '--listen=0.0.0.0:7443']);
  if (p.help || p.command !== 'serve') return t.fail();
  t.deepEqual(p.options.etcdServers, ['http://127.0.0.1:2379', 'http://127.0.0.2:2379']);
  t.is(p.options.listen, '0.0.0.0:7443');
  t.is(p.options.httpListen, '127.0.0.1:6480');
  t.is(p.options.eventTtlSeconds, 3600, "--event-ttl's default is Kubernetes' 1h");
});

test('--event-ttl: a duration in whole seconds; 0 keeps Events', (t) => {
  const ttl = (v: string): number | undefined => {
    const p = parseFlags(['--etcd-servers', 'http://127.0.0.1:2379', '--event-ttl', v]);
    return p.help || p.command !== 'serve' ? undefined : p.options.eventTtlSeconds;
  };
  t.is(ttl('30m'), 1800);
  t.is(ttl('1500ms'), 2);
  t.is(ttl('0'), 0);
  t.throws(() => ttl('soon'), { message: /--event-ttl/ });
});

test('bad flags are one-line errors', (t) => {
  t.throws(() => parseFlags(['--etcd-servers', 'http://x:1', '--bogus', '1']), { message: 'unknown flag --bogus' });
  t.throws(() => parseFlags([]), { message: /--etcd-servers is required/ });
  t.throws(() => parseFlags(['--etcd-servers', 'x:1']), { message: /not an http\(s\):\/\/HOST:PORT URL/ });
  t.throws(() => parseFlags(['--etcd-servers', 'http://x:1', '--listen', 'nope']), { message: /--listen: expected HOST:PORT/ });
  t.throws(() => parseFlags(['--etcd-servers']), { message: '--etcd-servers needs a value' });
});

test('--help', (t) => {
  t.deepEqual(parseFlags(['--etcd-servers', 'http://x:1', '--help']), { help: true });
});

test('security flags: TLS is required; files are read; modes checked', (t) => {
  t.throws(() => parse(['--etcd-servers', 'http://x:1'], read), { message: '--tls-cert-file and --tls-private-key-file are required: the API server serves TLS only' });
  const p = parseFlags(['--etcd-servers', 'http://x:1', '--client-ca-file', '/pki/ca.crt', '--service-account-key-file', '/pki/sa.pub',
    '--service-account-signing-key-file', '/pki/sa.key', '--authorization-mode', 'Node,RBAC', '--api-audiences', 'a,b']);
  if (p.help || p.command !== 'serve') return t.fail();
  t.deepEqual(p.options.tls, { certPem: 'CERT', keyPem: 'KEY', clientCaPem: 'CA' });
  t.deepEqual(p.options.serviceAccount, { publicKeysPem: ['PUB'], signingKeyPem: 'PRIV', audiences: ['a', 'b'] });
  t.deepEqual(p.options.authorizationModes, ['Node', 'RBAC']);
  t.throws(() => parseFlags(['--etcd-servers', 'http://x:1', '--authorization-mode', 'Webhook']), { message: '--authorization-mode: unknown mode "Webhook" (one of AlwaysAllow, Node, RBAC)' });
  t.throws(() => parseFlags(['--etcd-servers', 'http://x:1', '--client-ca-file', '/nope']), { message: '--client-ca-file /nope: cannot read it: ENOENT' });
  t.throws(() => parseFlags(['--etcd-servers', 'http://x:1', '--kubelet-client-key', '/pki/sa.key']), { message: /go together/ });
});

test('etcd TLS flags: all three or none, https:// needs them, files read and checked', async (t) => {
  const { createCa, issueCertificate } = await import('@tugboat/api/pki');
  const ca = await createCa('etcd-ca');
  const client = await issueCertificate(ca, { commonName: 'tugboat-apiserver', usage: 'client' });
  const pems: Record<string, string> = { ...files, '/etcd/ca.crt': ca.certPem, '/etcd/client.crt': client.certPem, '/etcd/client.key': client.keyPem };
  const readPem: FlagFileReader = (path, flag) => pems[path] ?? read(path, flag);
  const ETCD_TLS = ['--etcd-cafile', '/etcd/ca.crt', '--etcd-certfile', '/etcd/client.crt', '--etcd-keyfile', '/etcd/client.key'];
  const p = parse(['--etcd-servers', 'https://10.0.0.1:2379,https://10.0.0.2:2379', ...ETCD_TLS, ...TLS], readPem);
  if (p.help || p.command !== 'serve') return t.fail();
  t.deepEqual(p.options.etcdTls, { caPem: ca.certPem, certPem: client.certPem, keyPem: client.keyPem });

  const bad = (argv: string[]): string => t.throws(() => parse([...argv, ...TLS], readPem)).message;
  t.is(bad(['--etcd-servers', 'https://e:2379']), '--etcd-servers: https:// etcd endpoints need a CA, client certificate and key (--etcd-cafile, --etcd-certfile, --etcd-keyfile)');
  t.is(bad(['--etcd-servers', 'https://e:2379', ...ETCD_TLS.slice(0, 4)]), '--etcd-cafile, --etcd-certfile and --etcd-keyfile go together: --etcd-keyfile missing');
  t.is(bad(['--etcd-servers', 'http://e:2379', ...ETCD_TLS]), '--etcd-servers: etcd TLS credentials were given but the endpoints are http://; use https://');
  t.is(bad(['--etcd-servers', 'http://e:2379,https://f:2379', ...ETCD_TLS]), '--etcd-servers: etcd endpoints mix http:// and https://; use one scheme for all');
  t.is(bad(['--etcd-servers', 'https://e:2379', '--etcd-cafile', '/etcd/client.key', ...ETCD_TLS.slice(2)]), '--etcd-cafile /etcd/client.key: not a PEM certificate');
  t.is(bad(['--etcd-servers', 'https://e:2379', ...ETCD_TLS.slice(0, 4), '--etcd-keyfile', '/nope']), '--etcd-keyfile /nope: cannot read it: ENOENT');
});

const ENC = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers: [{ aesgcm: { keys: [{ name: k1, secret: ${Buffer.alloc(32).toString('base64')} }] } }, { identity: {} }]
`;
const withEnc: FlagFileReader = (path, flag) => (path === '/enc.yaml' ? ENC : path === '/bad.yaml' ? ENC.replace('k1', '"a:b"') : read(path, flag));

test('--encryption-provider-config is read and parsed; a bad one names the file and field', (t) => {
  const p = parse(['--etcd-servers', 'http://e:2379', '--encryption-provider-config', '/enc.yaml', ...TLS], withEnc);
  if (p.help || p.command !== 'serve') return t.fail();
  t.deepEqual(p.options.encryptionConfig?.resources.get('secrets')?.map((x) => x.type), ['aesgcm', 'identity']);
  t.throws(() => parse(['--etcd-servers', 'http://e:2379', '--encryption-provider-config', '/bad.yaml', ...TLS], withEnc),
    { message: 'encryption config /bad.yaml: resources[0].providers[0].aesgcm.keys[0].name: "a:b": must not contain ":"' });
});

test('reencrypt subcommand: etcd flags and the encryption config only', (t) => {
  const p = parse(['reencrypt', '--etcd-servers', 'http://e:2379/', '--encryption-provider-config=/enc.yaml'], withEnc);
  if (p.help || p.command !== 'reencrypt') return t.fail();
  t.deepEqual(p.reencrypt.etcdServers, ['http://e:2379']);
  t.is(p.reencrypt.etcdTls, undefined);
  t.is(p.reencrypt.encryptionConfig.source, '/enc.yaml');
  t.throws(() => parse(['reencrypt', '--etcd-servers', 'http://e:2379'], withEnc), { message: 'reencrypt: --encryption-provider-config is required (the file the API servers run with)' });
  t.throws(() => parse(['reencrypt', '--etcd-servers', 'http://e:2379', '--listen', 'x:1'], withEnc), { message: 'unknown flag --listen' });
  t.deepEqual(parse(['reencrypt', '--help'], withEnc), { help: true });
});

test('a value that starts with -- is a missing value, not the value (--listen --etcd-servers URL)', (t) => {
  t.throws(() => parse(['--listen', '--etcd-servers', 'http://e:2379', ...TLS], read), { message: '--listen needs a value' });
  t.throws(() => parse(['reencrypt', '--encryption-provider-config', '--etcd-servers', 'http://e:2379'], read), { message: '--encryption-provider-config needs a value' });
});

test('--list-from-cache: on by default; false sends every list to etcd', (t) => {
  const listFromCache = (...extra: string[]): boolean | undefined => {
    const p = parseFlags(['--etcd-servers', 'http://127.0.0.1:2379', ...extra]);
    return p.help || p.command !== 'serve' ? undefined : p.options.listFromCache;
  };
  t.is(listFromCache(), true);
  t.is(listFromCache('--list-from-cache=false'), false);
  t.is(listFromCache('--list-from-cache', 'false'), false);
  t.is(listFromCache('--list-from-cache'), true);
});
