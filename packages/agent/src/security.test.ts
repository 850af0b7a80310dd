// What the agent reads from its security flags, with the test PKI's real certificates.
import test from 'ava';
import { testPki } from '@tugboat/test';
import { loadAgentSecurity } from './security.js';

test('a node\'s kubeconfig and serving certificate: the client credentials, the serving pair and the client CA', async (t) => {
  const pki = await testPki();
  const node = await pki.node('sec-1');
  const flags = {
    kubeconfig: node.files.kubeconfig('127.0.0.1:6443'), tlsCertFile: node.files.servingCertFile, tlsPrivateKeyFile: node.files.servingKeyFile,
    clientCaFile: pki.files.caFile, nodeName: 'sec-1', hollow: 0,
  };
  const s = loadAgentSecurity(flags, {});
  t.is(s.client.server, '127.0.0.1:6443');
  t.is(s.client.credentials.tls?.cert, node.client.certPem);
  t.is(s.client.credentials.tls?.ca, pki.ca.certPem);
  t.is(s.serving.certPem, node.serving.certPem);
  t.is(s.serving.clientCaPem, pki.ca.certPem);
  t.deepEqual(s.warnings, []);
  // --server overrides the kubeconfig's address.
  t.is(loadAgentSecurity({ ...flags, server: 'https://10.1.2.3:7443' }, {}).client.server, '10.1.2.3:7443');
  t.throws(() => loadAgentSecurity({ ...flags, server: 'http://10.1.2.3:7443' }, {}), { message: /^--server: .*speaks TLS only/ });
  // A serving certificate of another node: the API server would refuse it; said at start.
  const other = await pki.node('sec-2');
  const w = loadAgentSecurity({ ...flags, tlsCertFile: other.files.servingCertFile, tlsPrivateKeyFile: other.files.servingKeyFile }, {});
  t.deepEqual(w.warnings, ['--tls-cert-file: the serving certificate is for "system:node:sec-2", but the API server accepts only system:node:sec-1 for this node: logs and exec will fail']);
});

test('unusable files are one line naming the flag', async (t) => {
  const pki = await testPki();
  const node = await pki.node('sec-1');
  const flags = {
    kubeconfig: node.files.kubeconfig('127.0.0.1:6443'), tlsCertFile: node.files.servingCertFile, tlsPrivateKeyFile: node.files.servingKeyFile,
    clientCaFile: pki.files.caFile, nodeName: 'sec-1', hollow: 0,
  };
  t.throws(() => loadAgentSecurity({ ...flags, kubeconfig: '/nonexistent/kubeconfig' }, {}), { message: /^--kubeconfig: cannot read kubeconfig \/nonexistent\/kubeconfig: ENOENT$/ });
  t.throws(() => loadAgentSecurity({ ...flags, clientCaFile: node.files.servingKeyFile }, {}), { message: `--client-ca-file: ${node.files.servingKeyFile} holds no PEM certificate` });
  t.throws(() => loadAgentSecurity({ ...flags, tlsPrivateKeyFile: node.files.servingCertFile }, {}), { message: `--tls-private-key-file: ${node.files.servingCertFile} holds no PEM private key` });
  t.throws(() => loadAgentSecurity({ ...flags, tlsPrivateKeyFile: node.files.keyFile }, {}), { message: `--tls-private-key-file: ${node.files.keyFile} is not the key of the certificate in --tls-cert-file` });
});

test('--proxy-kubeconfig: the service proxy\'s own identity, at the same API server (--server too); unusable is one line naming it', async (t) => {
  const pki = await testPki();
  const node = await pki.node('sec-1');
  const proxyUser = await pki.user('system:kube-proxy');
  const flags = {
    kubeconfig: node.files.kubeconfig('127.0.0.1:6443'), tlsCertFile: node.files.servingCertFile, tlsPrivateKeyFile: node.files.servingKeyFile,
    clientCaFile: pki.files.caFile, nodeName: 'sec-1', hollow: 0,
  };
  t.is(loadAgentSecurity(flags, {}).proxyClient, undefined);
  const s = loadAgentSecurity({ ...flags, proxyKubeconfig: pki.kubeconfig('127.0.0.1:6443', proxyUser, 'kube-proxy') }, {});
  t.is(s.proxyClient?.credentials.tls?.cert, proxyUser.certPem);
  t.is(loadAgentSecurity({ ...flags, server: 'https://10.1.2.3:7443', proxyKubeconfig: pki.kubeconfig('127.0.0.1:6443', proxyUser, 'kube-proxy') }, {}).proxyClient?.server, '10.1.2.3:7443');
  t.throws(() => loadAgentSecurity({ ...flags, proxyKubeconfig: '/nonexistent/kp' }, {}), { message: /^--proxy-kubeconfig: cannot read kubeconfig \/nonexistent\/kp: ENOENT$/ });
});
