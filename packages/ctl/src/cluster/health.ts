// Readiness checks for the local cluster's components: etcd's /health, the API server's
// /readyz, /healthz for the rest, and (through the API) every node's Ready condition.
import { TugboatClient, type KubeObject, type Node } from '@tugboat/api';
import type { ComponentRecord } from './state.js';

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = await res.text();
    if (!res.ok) return false;
    // etcd answers 200 with {"health":"false"} while it has no leader.
    if (url.endsWith('/health')) return /"health"\s*:\s*"true"/.test(body);
    return true;
  } catch {
    return false;
  }
}

/** Whether the component answers its health endpoint right now. */
export function isHealthy(c: ComponentRecord): Promise<boolean> {
  switch (c.role) {
    case 'etcd': return httpOk(`http://${c.addresses['client']}/health`);
    case 'apiserver': return httpOk(`http://${c.addresses['http']}/readyz`);
    case 'scheduler':
    case 'controllers':
    case 'agent': return httpOk(`http://${c.addresses['http']}/healthz`);
  }
}

function isReady(n: Node): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Polls the API until the named nodes are Ready; resolves to the ones that are not. */
export async function waitForNodesReady(server: string, names: readonly string[], timeoutMs: number): Promise<string[]> {
  const client = new TugboatClient(server, { timeoutMs: 5000 });
  const deadline = Date.now() + timeoutMs;
  let notReady = [...names];
  try {
    while (notReady.length) {
      try {
        const nodes = (await client.list<Node & KubeObject>('nodes')).items;
        const ready = new Set(nodes.filter(isReady).map((n) => n.metadata?.name));
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
