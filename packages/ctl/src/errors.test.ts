import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '@tugboat/api';
import { createCa } from '@tugboat/api/pki';
import { errorLine, tlsFailure } from './errors.js';
import { startSecureServer, type SecureServer } from './testing/secure-server.js';

let server: SecureServer | undefined;
test.after.always(async () => { await server?.stop(); });

// What the client makes of grpc-js's UNAVAILABLE (see fromGrpcError), with Node's TLS errors inside.
const unreachable = (address: string, last: string): ApiError =>
  new ApiError('Unavailable', `cannot reach the API server at ${address}: No connection established. Last error: ${last}. Resolution note: `);

test('Unauthorized is kubectl\'s line; Forbidden and the rest are the server\'s message', (t) => {
  t.is(errorLine(new ApiError('Unauthorized', 'Unauthorized')), 'You must be logged in to the server (Unauthorized)');
  t.is(
    errorLine(new ApiError('Forbidden', 'pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "a"')),
    'pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "a"',
  );
  t.is(errorLine(new ApiError('NotFound', 'pods "x" not found')), 'pods "x" not found');
});

test('a server that is not there: the address only', (t) => {
  t.is(errorLine(unreachable('127.0.0.1:1', 'Error: connect ECONNREFUSED 127.0.0.1:1'), '10.0.0.1:6443'), 'cannot reach the API server at 127.0.0.1:1');
  t.is(errorLine(new ApiError('Unavailable', 'cannot reach the API server: Failed to connect'), '10.0.0.1:6443'), 'cannot reach the API server at 10.0.0.1:6443');
  // An Unavailable the server itself reports (etcd down) is its message.
  t.is(errorLine(new ApiError('Unavailable', 'etcd is unavailable')), 'etcd is unavailable');
});

test('TLS failures: one line naming the address and what is wrong', (t) => {
  const hint = { server: '127.0.0.1:6443', caSource: '/home/u/.tugboat/pki/admin.kubeconfig' };
  t.is(
    errorLine(unreachable('127.0.0.1:6443', 'Error: self-signed certificate in certificate chain'), hint),
    'cannot reach the API server at 127.0.0.1:6443: its certificate is not signed by the cluster CA in /home/u/.tugboat/pki/admin.kubeconfig',
  );
  t.is(
    errorLine(unreachable('127.0.0.1:6443', 'Error: unable to verify the first certificate'), { server: '127.0.0.1:6443' }),
    'cannot reach the API server at 127.0.0.1:6443: its certificate is not signed by a CA tctl was given (pass --certificate-authority FILE or --kubeconfig FILE)',
  );
  t.is(
    errorLine(unreachable('localhost:6443', "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: Host: nothere. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1")),
    'cannot reach the API server at localhost:6443: its certificate is valid for localhost, 127.0.0.1, not nothere',
  );
  t.is(
    errorLine(unreachable('10.1.2.3:6443', "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.1.2.3 is not in the cert's list: 127.0.0.1, ::1")),
    'cannot reach the API server at 10.1.2.3:6443: its certificate is valid for 127.0.0.1, ::1, not 10.1.2.3',
  );
  t.is(tlsFailure('No connection established. Last error: Error: certificate has expired. Resolution note: ', 'h:1', undefined), 'its certificate has expired');
  t.is(tlsFailure('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ', 'h:1', undefined), undefined);
});

test('against a real TLS API server: no credentials, a denied user, a foreign CA, a host its certificate does not name', async (t) => {
  // On every address, so 127.0.0.2 reaches it too (a host its certificate does not name).
  server = await startSecureServer({ listen: '0.0.0.0:0' });
  const s = server;
  const caFile = s.api.pki.files.caFile;
  const anonymous = await s.tctl(['--kubeconfig', '/dev/null', '--server', s.address, '--certificate-authority', caFile, 'get', 'pods']);
  t.is(anonymous.code, 1);
  t.is(anonymous.stderr, 'error: You must be logged in to the server (Unauthorized)\n');

  // A batch stops at the first document: every other would meet the same answer.
  const batch = await s.tctl(['--kubeconfig', '/dev/null', '--server', s.address, '--certificate-authority', caFile, 'apply', '-f', '-'], {},
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n');
  t.deepEqual(batch, { code: 1, stdout: '', stderr: 'error: You must be logged in to the server (Unauthorized)\n' });

  const alice = await s.userKubeconfig('alice');
  const denied = await s.tctl(['--kubeconfig', alice, 'delete', 'pod', 'x', '-n', 'a']);
  t.is(denied.code, 1);
  t.regex(denied.stderr, /^error: pods "x" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "a"/);

  const foreign = join(s.tempDir('tctl-err-'), 'foreign-ca.crt');
  writeFileSync(foreign, (await createCa('someone-else')).certPem);
  const wrongCa = await s.tctl(['--certificate-authority', foreign, 'get', 'pods']);
  t.is(wrongCa.code, 1);
  t.is(wrongCa.stderr, `error: cannot reach the API server at ${s.address}: its certificate is not signed by the cluster CA in ${foreign}\n`);

  const port = s.address.split(':')[1]!;
  const otherHost = await s.tctl(['--server', `127.0.0.2:${port}`, 'get', 'pods']);
  t.is(otherHost.code, 1);
  t.is(otherHost.stderr, `error: cannot reach the API server at 127.0.0.2:${port}: its certificate is valid for 127.0.0.1, ::1, not 127.0.0.2\n`);
});
