import test from 'ava';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeconfig } from '@tugboat/api';
import { describeCertificate, signedBy, writePrivateFile } from '@tugboat/api/pki';
import { runTctl, type TctlRun } from '../testing/run-tctl.js';
import { ClusterPki } from '../cluster/pki.js';
import { startSecureServer, type SecureServer } from '../testing/secure-server.js';
import { privilegedReason, serverNameWarning } from './credentials.js';

const dirs: string[] = [];
const temp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
let server: SecureServer | undefined;
test.after.always(async () => {
  await server?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A $TUGBOAT_HOME with a cluster PKI (as `cluster up` makes it) and config.json's server. */
let made: Promise<string> | undefined;
function clusterHome(): Promise<string> {
  made ??= (async () => {
    const home = temp('tctl-creds-home-');
    await new ClusterPki(home).ensure(['node-1']);
    writeFileSync(join(home, 'config.json'), JSON.stringify({ server: '127.0.0.1:6443' }));
    return home;
  })();
  return made;
}

function tctl(home: string, ...argv: string[]): Promise<TctlRun> {
  return runTctl(argv, { TUGBOAT_HOME: home });
}

function saveKubeconfig(text: string): string {
  const path = join(temp('tctl-creds-kc-'), 'user.kubeconfig');
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

test('issue-user prints a kubeconfig: a client certificate CN NAME, O each group, signed by the cluster CA', async (t) => {
  const home = await clusterHome();
  const r = await tctl(home, 'cluster', 'issue-user', 'alice', '--group', 'dev', '--group', 'ops');
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  const config = loadKubeconfig(saveKubeconfig(r.stdout));
  t.is(config.server, '127.0.0.1:6443', 'config.json\'s server');
  t.is(config.namespace, undefined);
  const caPem = new ClusterPki(home).caPem();
  t.is(config.credentials.tls?.ca, caPem);
  const cert = describeCertificate(config.credentials.tls!.cert!);
  t.is(cert.commonName, 'alice');
  t.deepEqual(cert.organizations, ['dev', 'ops']);
  t.true(signedBy(config.credentials.tls!.cert!, caPem));
  const days = (cert.notAfter.getTime() - Date.now()) / 86_400_000;
  t.true(days > 364 && days < 366, String(days));
});

test('issue-user: --duration, --server, -n and --tls-server-name go into the kubeconfig', async (t) => {
  const home = await clusterHome();
  const r = await tctl(home, 'cluster', 'issue-user', 'bob', '--duration', '24h', '--server', 'localhost:7443', '-n', 'team', '--tls-server-name', 'tugboat-apiserver');
  t.is(r.code, 0, r.stderr);
  const config = loadKubeconfig(saveKubeconfig(r.stdout));
  t.is(config.server, 'localhost:7443');
  t.is(config.namespace, 'team');
  t.is(config.credentials.tls?.serverName, 'tugboat-apiserver');
  const cert = describeCertificate(config.credentials.tls!.cert!);
  t.deepEqual(cert.organizations, []);
  const hours = (cert.notAfter.getTime() - Date.now()) / 3_600_000;
  t.true(hours > 23 && hours <= 24, String(hours));
});

test('issue-user refuses node identities and system:masters / system:nodes unless --allow-privileged, saying why', async (t) => {
  const home = await clusterHome();
  for (const args of [['system:node:node-9'], ['carol', '--group', 'system:masters'], ['carol', '--group', 'system:nodes']]) {
    const r = await tctl(home, 'cluster', 'issue-user', ...args);
    t.is(r.code, 1, args.join(' '));
    t.regex(r.stderr, /^error: refusing to issue this certificate: .+ \(--allow-privileged to do it anyway\)\n$/);
    t.is(r.stdout, '');
  }
  t.regex(privilegedReason('carol', ['system:masters']) ?? '', /bypasses every authorization check/);
  t.is(privilegedReason('system:nodes-admin', ['dev']), undefined);
  const allowed = await tctl(home, 'cluster', 'issue-user', 'root', '--group', 'system:masters', '--allow-privileged');
  t.is(allowed.code, 0, allowed.stderr);
  t.deepEqual(describeCertificate(loadKubeconfig(saveKubeconfig(allowed.stdout)).credentials.tls!.cert!).organizations, ['system:masters']);
});

test('without the cluster CA (another machine): one line saying where to run it', async (t) => {
  const home = temp('tctl-creds-empty-');
  const r = await tctl(home, 'cluster', 'issue-user', 'alice');
  t.is(r.code, 1);
  t.is(r.stderr, `error: no cluster CA in ${join(home, 'pki')}: run this on the control-plane machine, after tctl cluster up\n`);
  t.is((await tctl(home, 'cluster', 'issue-user')).code, 2);
});

test('join-config writes the node\'s kubeconfig, the CA and its serving certificate, private, and prints the agent command', async (t) => {
  const home = await clusterHome();
  const out = join(temp('tctl-creds-out-'), 'node-5');
  // This machine's name is among the API server certificate's names (cluster/pki.ts).
  const apiServer = `${hostname().toLowerCase()}:6443`;
  const r = await tctl(home, 'cluster', 'join-config', 'node-5', '--address', '198.19.255.5', '--server', apiServer, '--out', out);
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
  const mode = (p: string): number => statSync(p).mode & 0o777;
  t.is(mode(out), 0o700);
  t.is(mode(join(out, 'kubeconfig')), 0o600);
  t.is(mode(join(out, 'serving.key')), 0o600);
  const caPem = new ClusterPki(home).caPem();
  t.is(readFileSync(join(out, 'ca.crt'), 'utf8'), caPem);

  const config = loadKubeconfig(join(out, 'kubeconfig'));
  t.is(config.server, apiServer);
  const client = describeCertificate(config.credentials.tls!.cert!);
  t.is(client.commonName, 'system:node:node-5');
  t.deepEqual(client.organizations, ['system:nodes']);
  t.true(signedBy(config.credentials.tls!.cert!, caPem));

  const servingPem = readFileSync(join(out, 'serving.crt'), 'utf8');
  const serving = describeCertificate(servingPem);
  t.is(serving.commonName, 'system:node:node-5');
  t.deepEqual(serving.dnsNames, ['node-5']);
  t.deepEqual(serving.ipAddresses, ['198.19.255.5']);
  t.true(signedBy(servingPem, caPem));
  t.true(new X509Certificate(servingPem).checkPrivateKey(createPrivateKey(readFileSync(join(out, 'serving.key')))));

  t.true(r.stdout.includes(`  tugboat-agent --node-name node-5 --kubeconfig ${out}/kubeconfig --tls-cert-file ${out}/serving.crt --tls-private-key-file ${out}/serving.key --client-ca-file ${out}/ca.crt --listen 198.19.255.5:10250\n`), r.stdout);
});

test('join-config warns when the API server address will not work from another machine', async (t) => {
  const home = await clusterHome();
  const loopback = await tctl(home, 'cluster', 'join-config', 'node-6', '--address', '198.19.255.6', '--out', join(temp('tctl-creds-out-'), 'n'));
  t.is(loopback.code, 0, loopback.stderr);
  t.is(loopback.stderr, 'Warning: 127.0.0.1:6443 is this machine\'s loopback address: another machine cannot reach the API server there (pass --server with an address it can reach)\n');

  const apiserverCrt = new ClusterPki(home).layout.apiserver.cert;
  const elsewhere = await tctl(home, 'cluster', 'join-config', 'node-7', '--address', '198.19.255.7', '--server', '198.19.255.1:6443', '--out', join(temp('tctl-creds-out-'), 'n'));
  t.is(elsewhere.code, 0, elsewhere.stderr);
  t.regex(elsewhere.stderr, new RegExp(`^Warning: the API server's certificate \\(${apiserverCrt}\\) does not name 198\\.19\\.255\\.1 \\(it names localhost, .*127\\.0\\.0\\.1, ::1\\), so clients dialling 198\\.19\\.255\\.1:6443 will refuse it: add --tls-server-name tugboat-apiserver to check a name it carries instead\\n$`));

  const out = join(temp('tctl-creds-out-'), 'n');
  const named = await tctl(home, 'cluster', 'join-config', 'node-8', '--address', '198.19.255.8', '--server', '198.19.255.1:6443', '--tls-server-name', 'tugboat-apiserver', '--out', out);
  t.is(named.stderr, '');
  t.is(loadKubeconfig(join(out, 'kubeconfig')).credentials.tls?.serverName, 'tugboat-apiserver');

  for (const [args, message] of [
    [['node-9', '--out', 'x'], '--address IP is required'],
    [['node-9', '--address', 'host.example', '--out', 'x'], '--address must be an IP address'],
    [['node-9', '--address', '198.19.255.9'], '--out DIR is required'],
    [['Node_9', '--address', '198.19.255.9', '--out', 'x'], 'invalid node name "Node_9"'],
  ] as const) {
    const r = await tctl(home, 'cluster', 'join-config', ...args);
    t.is(r.code, 2, args.join(' '));
    t.true(r.stderr.startsWith(`error: ${message}`), r.stderr);
  }
});

test('the SAN check: IPs in any spelling, DNS names and wildcards', (t) => {
  const names = { dnsNames: ['localhost', '*.example.com'], ipAddresses: ['127.0.0.1', '0:0:0:0:0:0:0:1'] };
  const warn = (server: string): string | undefined => serverNameWarning('', 'apiserver.crt', server, () => names);
  t.is(warn('127.0.0.1:6443'), undefined);
  t.is(warn('[::1]:6443'), undefined);
  t.is(warn('LOCALHOST:6443'), undefined);
  t.is(warn('api.example.com:6443'), undefined);
  t.truthy(warn('a.b.example.com:6443'));
  t.truthy(warn('10.0.0.1:6443'));
});

test('an issued user\'s kubeconfig works against a real API server with that CA', async (t) => {
  server = await startSecureServer();
  // The cluster CA of this home is the one the API server trusts.
  const home = temp('tctl-creds-live-');
  const pki = new ClusterPki(home);
  mkdirSync(pki.layout.dir, { recursive: true });
  writeFileSync(pki.layout.ca.cert, server.api.pki.ca.certPem);
  writePrivateFile(pki.layout.ca.key, server.api.pki.ca.keyPem);
  writeFileSync(pki.layout.apiserver.cert, server.api.pki.server.certPem);
  const issued = await tctl(home, 'cluster', 'issue-user', 'erin', '--group', 'dev', '--server', server.address);
  t.is(issued.code, 0, issued.stderr);
  const file = saveKubeconfig(issued.stdout);
  const r = await server.tctl(['--kubeconfig', file, 'get', 'pods']);
  t.is(r.code, 1);
  // Authenticated as erin (RBAC then decides; nothing grants erin anything here).
  t.regex(r.stderr, /^error: pods is forbidden: User "erin" cannot list resource "pods"/);
  const admin = await tctl(home, 'cluster', 'issue-user', 'root', '--group', 'system:masters', '--allow-privileged', '--server', server.address);
  const who = await server.tctl(['--kubeconfig', saveKubeconfig(admin.stdout), 'auth', 'whoami']);
  t.regex(who.stdout, /^Username {4}root$/m);
  t.regex(who.stdout, /^Groups {6}\[system:masters system:authenticated\]$/m);
});
