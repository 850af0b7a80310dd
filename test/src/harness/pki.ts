// A cluster PKI for tests, made once per test process in a temp dir: a CA, the API server's
// serving certificate, an admin (system:masters), the API server's client certificate towards
// agents, a ServiceAccount signing key, and per-node / per-user certificates on demand. Every
// test then talks TLS with real certificates, as the product does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUP_MASTERS, GROUP_NODES, IN_CLUSTER_SERVER_NAME, USER_APISERVER_KUBELET_CLIENT, nodeUsername, renderKubeconfig, type Credentials } from '@tugboat/api';
import { createCa, generateSigningKeyPair, issueCertificate, writePrivateFile, type CertAndKey } from '@tugboat/api/pki';

export interface PkiFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly kubeletClientCertFile: string;
  readonly kubeletClientKeyFile: string;
  readonly saKeyFile: string;
  readonly saPubFile: string;
}

export interface TestPki {
  readonly ca: CertAndKey;
  readonly server: CertAndKey;
  readonly admin: CertAndKey;
  readonly kubeletClient: CertAndKey;
  readonly serviceAccountKey: { readonly privateKeyPem: string; readonly publicKeyPem: string };
  readonly files: PkiFiles;
  /** Client credentials for a certificate (TLS with the cluster CA). */
  credentials(cert?: CertAndKey): Credentials;
  /** A client certificate for any user and groups. */
  user(name: string, groups?: readonly string[]): Promise<CertAndKey>;
  /** A node's client certificate (system:node:NAME in system:nodes) and its serving certificate. */
  node(name: string): Promise<{ client: CertAndKey; serving: CertAndKey; files: { certFile: string; keyFile: string; servingCertFile: string; servingKeyFile: string; kubeconfig(server: string): string } }>;
  /** A kubeconfig file for `cert` against `server` (HOST:PORT). */
  kubeconfig(server: string, cert: CertAndKey, name: string): string;
}

let made: Promise<TestPki> | undefined;

/** The process's test PKI (made on first use). */
export function testPki(): Promise<TestPki> {
  made ??= makePki();
  return made;
}

async function makePki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-pki-'));
  // One per test process, shared by its tests: it goes when the process does.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const ca = await createCa('tugboat-test-ca');
  const server = await issueCertificate(ca, {
    commonName: 'tugboat-apiserver',
    usage: 'server',
    dnsNames: ['localhost', 'tugboat-apiserver', 'kubernetes', 'kubernetes.default', IN_CLUSTER_SERVER_NAME, 'kubernetes.default.svc.cluster.local'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  const admin = await issueCertificate(ca, { commonName: 'tugboat-test-admin', organizations: [GROUP_MASTERS], usage: 'client' });
  const kubeletClient = await issueCertificate(ca, { commonName: USER_APISERVER_KUBELET_CLIENT, organizations: [GROUP_MASTERS], usage: 'client' });
  const serviceAccountKey = generateSigningKeyPair();
  const write = (name: string, text: string, secret = false): string => {
    const p = join(dir, name);
    if (secret) writePrivateFile(p, text);
    else writeFileSync(p, text);
    return p;
  };
  const files: PkiFiles = {
    dir,
    caFile: write('ca.crt', ca.certPem),
    serverCertFile: write('apiserver.crt', server.certPem),
    serverKeyFile: write('apiserver.key', server.keyPem, true),
    kubeletClientCertFile: write('apiserver-kubelet-client.crt', kubeletClient.certPem),
    kubeletClientKeyFile: write('apiserver-kubelet-client.key', kubeletClient.keyPem, true),
    saKeyFile: write('sa.key', serviceAccountKey.privateKeyPem, true),
    saPubFile: write('sa.pub', serviceAccountKey.publicKeyPem),
  };
  const nodes = new Map<string, ReturnType<TestPki['node']>>();
  let kubeconfigs = 0;
  const pki: TestPki = {
    ca, server, admin, kubeletClient, serviceAccountKey, files,
    credentials: (cert = admin) => ({ tls: { ca: ca.certPem, cert: cert.certPem, key: cert.keyPem } }),
    user: (name, groups = []) => issueCertificate(ca, { commonName: name, organizations: groups, usage: 'client' }),
    node(name) {
      let n = nodes.get(name);
      if (!n) {
        n = (async () => {
          const client = await issueCertificate(ca, { commonName: nodeUsername(name), organizations: [GROUP_NODES], usage: 'client' });
          const serving = await issueCertificate(ca, { commonName: nodeUsername(name), usage: 'server', dnsNames: ['localhost', name], ipAddresses: ['127.0.0.1'] });
          const certFile = write(`node-${name}.crt`, client.certPem);
          const keyFile = write(`node-${name}.key`, client.keyPem, true);
          const servingCertFile = write(`node-${name}-serving.crt`, serving.certPem);
          const servingKeyFile = write(`node-${name}-serving.key`, serving.keyPem, true);
          return { client, serving, files: { certFile, keyFile, servingCertFile, servingKeyFile, kubeconfig: (srv: string) => pki.kubeconfig(srv, client, `node-${name}`) } };
        })();
        nodes.set(name, n);
      }
      return n;
    },
    kubeconfig(srv, cert, name) {
      return write(`${name}-${++kubeconfigs}.kubeconfig`, renderKubeconfig({ server: srv, caPem: ca.certPem, user: name, certPem: cert.certPem, keyPem: cert.keyPem }), true);
    },
  };
  return pki;
}
