import test from 'ava';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApiError } from '../errors.js';
import { ServerRotation, failoverAction, splitServers } from './failover.js';
import { afterWatch } from './informer.js';
import { KubeconfigError, componentClientConfig, parseKubeconfig, renderKubeconfig, serverAddresses } from './kubeconfig.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const unavailable = (details: string, fromServer = false) => ({ code: GrpcStatus.UNAVAILABLE, details, fromServer });

test('a call that never reached the server goes to the next one, read or write', (t) => {
  const refused = unavailable('No connection established. Last error: connect ECONNREFUSED 127.0.0.1:6443. Resolution note: ');
  t.is(failoverAction(refused, 'mutating'), 'next-server');
  t.is(failoverAction(refused, 'idempotent'), 'next-server');
  t.is(failoverAction(unavailable('Stream refused by server'), 'mutating'), 'next-server');
});

test('a call that may have reached the server: reads go to the next, writes fail (client-go retries only GETs)', (t) => {
  for (const details of ['Connection dropped', 'read ECONNRESET', 'Received RST_STREAM with code 2 (Internal server error)']) {
    t.is(failoverAction(unavailable(details), 'idempotent'), 'next-server', details);
    t.is(failoverAction(unavailable(details), 'mutating'), 'fail', details);
  }
});

test('an answer from the server is final: another server sits on the same etcd', (t) => {
  t.is(failoverAction(unavailable('etcd is unavailable (list): …', true), 'idempotent'), 'fail');
  t.is(failoverAction({ code: GrpcStatus.DEADLINE_EXCEEDED, details: 'Deadline exceeded', fromServer: false }, 'idempotent'), 'fail');
  t.is(failoverAction({ code: GrpcStatus.ABORTED, details: 'conflict', fromServer: true }, 'mutating'), 'fail');
});

test('the rotation moves on once per failure, whoever reports it', (t) => {
  const r = new ServerRotation(['a:1', 'b:2']);
  t.is(r.address(), 'a:1');
  r.failed(0);
  t.is(r.address(), 'b:2');
  // A second call that failed on a:1 at the same time must not skip b:2.
  r.failed(0);
  t.is(r.address(), 'b:2');
  r.failed(1);
  t.is(r.address(), 'a:1');
  t.throws(() => new ServerRotation([]));
});

test('splitServers: order kept, blanks and repeats dropped', (t) => {
  t.deepEqual(splitServers('a:1, b:2,,a:1'), ['a:1', 'b:2']);
  t.deepEqual(splitServers('a:1'), ['a:1']);
});

test('serverAddresses checks each address and names the flag', (t) => {
  t.is(serverAddresses('https://127.0.0.1:6443,127.0.0.1:6453', '--server'), '127.0.0.1:6443,127.0.0.1:6453');
  t.throws(() => serverAddresses('127.0.0.1:6443,', '--server'), { instanceOf: KubeconfigError, message: /--server: .*an empty address/ });
  t.throws(() => serverAddresses('127.0.0.1:6443,http://x:1', '--server'), { message: /TLS only/ });
});

test('a kubeconfig lists every server: `server` is the first (kubectl), the extension has them all', (t) => {
  const text = renderKubeconfig({ server: '127.0.0.1:6443,127.0.0.1:6453', caPem: 'CA', user: 'admin', token: 't' });
  t.regex(text, /server: https:\/\/127\.0\.0\.1:6443\n/);
  t.regex(text, /name: tugboat\.dev\/servers/);
  const c = parseKubeconfig(text, 'k', '/');
  t.is(c.server, '127.0.0.1:6443,127.0.0.1:6453');
  // One server: no extension, as before.
  t.notRegex(renderKubeconfig({ server: '127.0.0.1:6443', caPem: 'CA', user: 'admin' }), /extensions/);
  // `server` edited by hand stays first; the others follow without repeating it.
  const edited = text.replace('server: https://127.0.0.1:6443', 'server: https://127.0.0.1:6453');
  t.is(parseKubeconfig(edited, 'k', '/').server, '127.0.0.1:6453,127.0.0.1:6443');
});

test('a bad server list in a kubeconfig is one line naming the field', (t) => {
  const text = renderKubeconfig({ server: '127.0.0.1:6443,127.0.0.1:6453', caPem: 'CA', user: 'admin' }).replace('- https://127.0.0.1:6453', '- 7');
  const err = t.throws(() => parseKubeconfig(text, 'k', '/'), { instanceOf: KubeconfigError });
  t.is(err?.message, 'k: clusters[0].cluster.extensions[0].extension.servers: expected a list of https://HOST:PORT addresses');
  const bad = renderKubeconfig({ server: '127.0.0.1:6443,127.0.0.1:6453', caPem: 'CA', user: 'admin' }).replace('- https://127.0.0.1:6453', '- https://127.0.0.1:99999');
  t.throws(() => parseKubeconfig(bad, 'k', '/'), { message: /^k: clusters\[0\]\.cluster\.extensions\[0\]\.extension\.servers\[1\]: .* has no valid port$/ });
});

test('a component takes the list from its kubeconfig, or from --server A,B', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-failover-'));
  try {
    const file = join(dir, 'kubeconfig');
    writeFileSync(file, renderKubeconfig({ server: '127.0.0.1:6443,127.0.0.1:6453', caPem: 'CA', user: 'u', token: 't' }));
    t.is(componentClientConfig({ kubeconfig: file }).server, '127.0.0.1:6443,127.0.0.1:6453');
    t.is(componentClientConfig({ kubeconfig: file, server: 'https://198.18.0.1:1,198.18.0.2:2' }).server, '198.18.0.1:1,198.18.0.2:2');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('after a watch: relist only when the revision is gone (Expired), as the reflector', (t) => {
  const expired = new ApiError('Expired', 'too old');
  const gone = new ApiError('Unavailable', 'cannot reach the API server');
  t.is(afterWatch(expired, true, false), 'relist');
  t.is(afterWatch(expired, false, false), 'relist');
  // The stream broke after delivering: watch again at once from the last resourceVersion.
  t.is(afterWatch(gone, true, false), 'watch');
  t.is(afterWatch(undefined, true, false), 'watch');
  // Nothing delivered (a server that is down, or closes at once): back off, still no relist.
  t.is(afterWatch(gone, false, false), 'back-off');
  t.is(afterWatch(undefined, false, false), 'back-off');
  // The list itself failed: try the list again after a pause.
  t.is(afterWatch(gone, false, true), 'back-off');
});
