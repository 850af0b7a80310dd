// The local cluster's certificates and keys, under $TUGBOAT_HOME/pki/ (keys 0600), made by
// `tctl cluster up` on first start and kept after (a restarted cluster keeps its identity):
//
//   ca.crt/key                      the cluster CA: every component and user certificate
//   etcd/ca.crt/key                 etcd's own CA: only the API server's etcd client is trusted
//                                   by etcd, so no cluster certificate can reach etcd directly
//   etcd/server, etcd/peer          etcd's serving and peer certificates
//   apiserver                       the API server's serving certificate
//   apiserver-kubelet-client        the API server towards agents (O system:masters)
//   apiserver-etcd-client           the API server towards etcd
//   scheduler, controllers, admin   clients: system:kube-scheduler, system:kube-controller-manager,
//                                   tugboat-admin in system:masters
//   kube-proxy, kube-dns            the agents' service proxy (system:kube-proxy, one for all
//                                   nodes, as kubeadm does) and the cluster DNS (system:kube-dns)
//   prometheus                      `cluster up --monitoring`'s scraper: tugboat-prometheus in
//                                   group system:monitoring (may read /metrics, nothing else)
//   nodes/NAME, nodes/NAME-serving  an agent's client (system:node:NAME) and serving certificates
//   sa.key / sa.pub                 ServiceAccount token signing key
//   encryption-config.yaml          Secrets encrypted at rest (aesgcm, a fresh 32-byte key)
//   *.kubeconfig                    ready-made client configs (rewritten when the API server's
//                                   address changes)
// and $TUGBOAT_HOME/kubeconfig: the admin's, self-contained, for kubectl and other Kubernetes
// clients (the API server's one port speaks both gRPC and Kubernetes' REST API).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SocketAddress } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import {
  GROUP_MASTERS, GROUP_MONITORING, GROUP_NODES, IN_CLUSTER_SERVER_NAME, USER_APISERVER_KUBELET_CLIENT, USER_CONTROLLER_MANAGER, USER_KUBE_DNS, USER_KUBE_PROXY, USER_SCHEDULER,
  nodeUsername, renderKubeconfig,
} from '@tugboat/api';
import type { CertAndKey, CertRequest } from '@tugboat/api/pki';

/** The admin user `tctl cluster up` configures tctl with. */
export const ADMIN_USER = 'tugboat-admin';
/** Prometheus' identity (`cluster up --monitoring`), in group system:monitoring. */
export const PROMETHEUS_USER = 'tugboat-prometheus';

export interface CertPaths {
  readonly cert: string;
  readonly key: string;
}

export interface NodePaths {
  readonly client: CertPaths;
  readonly serving: CertPaths;
  readonly kubeconfig: string;
}

/** Where everything lives; pure. */
export class ClusterPkiLayout {
  readonly dir: string;
  /** $TUGBOAT_HOME/kubeconfig: the admin's credentials, for kubectl (KUBECONFIG=…). */
  readonly userKubeconfig: string;
  constructor(home: string) {
    this.dir = join(home, 'pki');
    this.userKubeconfig = join(home, 'kubeconfig');
  }

  private pair(name: string): CertPaths {
    return { cert: join(this.dir, `${name}.crt`), key: join(this.dir, `${name}.key`) };
  }

  get ca(): CertPaths { return this.pair('ca'); }
  get etcdCa(): CertPaths { return this.pair('etcd/ca'); }
  get etcdServer(): CertPaths { return this.pair('etcd/server'); }
  get etcdPeer(): CertPaths { return this.pair('etcd/peer'); }
  get apiserver(): CertPaths { return this.pair('apiserver'); }
  get apiserverKubeletClient(): CertPaths { return this.pair('apiserver-kubelet-client'); }
  get apiserverEtcdClient(): CertPaths { return this.pair('apiserver-etcd-client'); }
  get scheduler(): CertPaths { return this.pair('scheduler'); }
  get controllers(): CertPaths { return this.pair('controllers'); }
  get admin(): CertPaths { return this.pair('admin'); }
  get kubeProxy(): CertPaths { return this.pair('kube-proxy'); }
  get kubeDns(): CertPaths { return this.pair('kube-dns'); }
  get prometheus(): CertPaths { return this.pair('prometheus'); }
  get saKey(): string { return join(this.dir, 'sa.key'); }
  get saPub(): string { return join(this.dir, 'sa.pub'); }
  get encryptionConfig(): string { return join(this.dir, 'encryption-config.yaml'); }

  kubeconfig(name: 'admin' | 'scheduler' | 'controllers' | 'kube-proxy' | 'kube-dns'): string {
    return join(this.dir, `${name}.kubeconfig`);
  }

  node(name: string): NodePaths {
    return { client: this.pair(`nodes/${name}`), serving: this.pair(`nodes/${name}-serving`), kubeconfig: join(this.dir, 'nodes', `${name}.kubeconfig`) };
  }
}

function read(p: CertPaths): CertAndKey {
  return { certPem: readFileSync(p.cert, 'utf8'), keyPem: readFileSync(p.key, 'utf8') };
}

/** The names an API server certificate must carry to be reached locally and from pods. */
export function apiServerNames(extra: readonly string[] = []): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = new Set(['localhost', 'tugboat-apiserver', 'kubernetes', 'kubernetes.default', IN_CLUSTER_SERVER_NAME, 'kubernetes.default.svc.cluster.local', hostname().toLowerCase()]);
  const ipAddresses = new Set(['127.0.0.1', '::1']);
  for (const e of extra) {
    if (/^[\d.]+$/.test(e) || e.includes(':')) ipAddresses.add(e);
    else dnsNames.add(e);
  }
  return { dnsNames: [...dnsNames], ipAddresses: [...ipAddresses] };
}

/** Node prints IPv6 addresses in certificates expanded (0:0:0:0:0:0:0:1): compare them as addresses. */
function sameIp(a: string, b: string): boolean {
  const norm = (x: string): string => {
    try {
      return new SocketAddress({ address: x, family: x.includes(':') ? 'ipv6' : 'ipv4' }).address;
    } catch {
      return x;
    }
  };
  return a === b || norm(a) === norm(b);
}

/** An EncryptionConfiguration (Kubernetes' format) with one fresh aesgcm key for Secrets. */
export function encryptionConfigYaml(keyName: string, secretBase64: string): string {
  return [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    '      - aesgcm:',
    '          keys:',
    `            - name: ${keyName}`,
    `              secret: ${secretBase64}`,
    '      - identity: {}',
    '',
  ].join('\n');
}

export class ClusterPki {
  readonly layout: ClusterPkiLayout;

  constructor(readonly home: string) {
    this.layout = new ClusterPkiLayout(home);
  }

  exists(): boolean {
    return existsSync(this.layout.ca.cert) && existsSync(this.layout.ca.key);
  }

  /**
   * Makes whatever is missing (everything on a first start; a new node's certificates later).
   * `apiServerSans` are more names and addresses the API server's certificate must carry (for
   * machines that dial it by another address): a certificate that lacks one is issued again by
   * the same CA, so no client needs anything new.
   */
  async ensure(nodes: readonly string[], apiServerSans: readonly string[] = []): Promise<{ reissued: boolean }> {
    const pki = await import('@tugboat/api/pki');
    const l = this.layout;
    mkdirSync(join(l.dir, 'etcd'), { recursive: true, mode: 0o700 });
    mkdirSync(join(l.dir, 'nodes'), { recursive: true, mode: 0o700 });
    const save = (p: CertPaths, ck: CertAndKey): void => {
      writeFileSync(p.cert, ck.certPem);
      pki.writePrivateFile(p.key, ck.keyPem);
    };
    const ensureCa = async (p: CertPaths, cn: string): Promise<CertAndKey> => {
      if (!existsSync(p.cert) || !existsSync(p.key)) save(p, await pki.createCa(cn));
      return read(p);
    };
    const ensureCert = async (ca: CertAndKey, p: CertPaths, req: CertRequest): Promise<void> => {
      if (!existsSync(p.cert) || !existsSync(p.key)) save(p, await pki.issueCertificate(ca, req));
    };
    const ca = await ensureCa(l.ca, 'tugboat-ca');
    const etcdCa = await ensureCa(l.etcdCa, 'tugboat-etcd-ca');
    const local = { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'] };
    await ensureCert(etcdCa, l.etcdServer, { commonName: 'tugboat-etcd', usage: 'client-server', ...local });
    await ensureCert(etcdCa, l.etcdPeer, { commonName: 'tugboat-etcd-peer', usage: 'client-server', ...local });
    await ensureCert(etcdCa, l.apiserverEtcdClient, { commonName: 'kube-apiserver-etcd-client', usage: 'client' });
    const names = apiServerNames(apiServerSans);
    let reissued = false;
    if (existsSync(l.apiserver.cert)) {
      const have = pki.describeCertificate(readFileSync(l.apiserver.cert, 'utf8'));
      const lacking = names.dnsNames.some((n) => !have.dnsNames.includes(n)) || names.ipAddresses.some((ip) => !have.ipAddresses.some((h) => sameIp(h, ip)));
      if (lacking) {
        save(l.apiserver, await pki.issueCertificate(ca, { commonName: 'tugboat-apiserver', usage: 'server', ...names }));
        reissued = true;
      }
    }
    await ensureCert(ca, l.apiserver, { commonName: 'tugboat-apiserver', usage: 'server', ...names });
    await ensureCert(ca, l.apiserverKubeletClient, { commonName: USER_APISERVER_KUBELET_CLIENT, organizations: [GROUP_MASTERS], usage: 'client' });
    await ensureCert(ca, l.scheduler, { commonName: USER_SCHEDULER, usage: 'client' });
    await ensureCert(ca, l.controllers, { commonName: USER_CONTROLLER_MANAGER, usage: 'client' });
    await ensureCert(ca, l.admin, { commonName: ADMIN_USER, organizations: [GROUP_MASTERS], usage: 'client' });
    await ensureCert(ca, l.kubeProxy, { commonName: USER_KUBE_PROXY, usage: 'client' });
    await ensureCert(ca, l.kubeDns, { commonName: USER_KUBE_DNS, usage: 'client' });
    await ensureCert(ca, l.prometheus, { commonName: PROMETHEUS_USER, organizations: [GROUP_MONITORING], usage: 'client' });
    for (const n of nodes) {
      const np = l.node(n);
      await ensureCert(ca, np.client, { commonName: nodeUsername(n), organizations: [GROUP_NODES], usage: 'client' });
      await ensureCert(ca, np.serving, { commonName: nodeUsername(n), usage: 'server', dnsNames: ['localhost', n], ipAddresses: ['127.0.0.1'] });
    }
    if (!existsSync(l.saKey)) {
      const kp = pki.generateSigningKeyPair();
      pki.writePrivateFile(l.saKey, kp.privateKeyPem);
      writeFileSync(l.saPub, kp.publicKeyPem);
    }
    if (!existsSync(l.encryptionConfig)) pki.writePrivateFile(l.encryptionConfig, encryptionConfigYaml('key1', randomBytes(32).toString('base64')));
    return { reissued };
  }

  /** (Re)writes every component's kubeconfig for the API server at `server` (HOST:PORT). */
  writeKubeconfigs(server: string, nodes: readonly string[]): void {
    const l = this.layout;
    const caPem = readFileSync(l.ca.cert, 'utf8');
    const write = (path: string, user: string, p: CertPaths): void => {
      const ck = read(p);
      // Keys inside: owner only, written whole or not at all.
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, renderKubeconfig({ server, caPem, user, certPem: ck.certPem, keyPem: ck.keyPem }), { mode: 0o600 });
      renameSync(tmp, path);
    };
    write(l.kubeconfig('admin'), ADMIN_USER, l.admin);
    write(l.userKubeconfig, ADMIN_USER, l.admin);
    write(l.kubeconfig('scheduler'), USER_SCHEDULER, l.scheduler);
    write(l.kubeconfig('controllers'), USER_CONTROLLER_MANAGER, l.controllers);
    write(l.kubeconfig('kube-proxy'), USER_KUBE_PROXY, l.kubeProxy);
    write(l.kubeconfig('kube-dns'), USER_KUBE_DNS, l.kubeDns);
    for (const n of nodes) write(l.node(n).kubeconfig, nodeUsername(n), l.node(n).client);
  }

  caPem(): string {
    return readFileSync(this.layout.ca.cert, 'utf8');
  }

  /** The CA (certificate and key), to sign certificates for users and joining nodes. */
  ca(): CertAndKey {
    return read(this.layout.ca);
  }
}
