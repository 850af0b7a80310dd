// Readiness checks for the local cluster's components: etcd's /health (over mutual TLS, as
// the API server's etcd client), the API server's /readyz, /healthz for the rest, and
// (through the API, as the admin) every node's Ready condition.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { TugboatClient, isNodeReady, loadKubeconfig, type KubeObject, type Node } from '@tugboat/api';
import type { ClusterPkiLayout } from './pki.js';
import type { ComponentRecord } from './state.js';

/** etcd answers 200 with {"health":"false"} while it has no leader. */
function etcdHealthy(body: string): boolean {
  return /"health"\s*:\s*"true"/.test(body);
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (!res.ok) return false;
    return url.endsWith('/health') ? etcdHealthy(body) : true;
  } catch {
    return false;
  }
}

/** etcd's /health over TLS with a client certificate (fetch cannot present one). */
function etcdHttpsOk(address: string, pki: ClusterPkiLayout): Promise<boolean> {
  return new Promise((resolve) => {
    let ca: string;
    let cert: string;
    let key: string;
    try {
      ca = readFileSync(pki.etcdCa.cert, 'utf8');
      cert = readFileSync(pki.apiserverEtcdClient.cert, 'utf8');
      key = readFileSync(pki.apiserverEtcdClient.key, 'utf8');
    } catch {
      resolve(false);
      return;
    }
    const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
    const req = httpsRequest({ host, port, path: '/health', ca, cert, key, servername: 'localhost', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve(res.statusCode === 200 && etcdHealthy(body)));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Whether the component answers its health endpoint right now. */
export function isHealthy(c: ComponentRecord, pki: ClusterPkiLayout): Promise<boolean> {
  switch (c.role) {
    case 'etcd': return etcdHttpsOk(c.addresses['client']!, pki);
    case 'apiserver':
    case 'dns': return httpOk(`http://${c.addresses['http']}/readyz`);
    case 'scheduler':
    case 'controllers':
    case 'agent': return httpOk(`http://${c.addresses['http']}/healthz`);
    case 'prometheus': return httpOk(`http://${c.addresses['http']}/-/ready`);
  }
}

/** Polls the API (as the admin of `kubeconfig`) until the named nodes are Ready; resolves to the ones that are not. */
export async function waitForNodesReady(server: string, kubeconfig: string, names: readonly string[], timeoutMs: number): Promise<string[]> {
  const client = new TugboatClient(server, { timeoutMs: 5000, credentials: loadKubeconfig(kubeconfig).credentials });
  const deadline = Date.now() + timeoutMs;
  let notReady = [...names];
  try {
    while (notReady.length) {
      try {
        const nodes = (await client.list<Node & KubeObject>('nodes')).items;
        const ready = new Set(nodes.filter(isNodeReady).map((n) => n.metadata?.name));
        notReady = names.filter((n) => !ready.has(n));
      } catch {
        // The API server may be busy starting; try again.
      }
      if (!notReady.length || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return notReady;
  } finally {
    client.close();
  }
}
