// The agent's one service proxy: whether it runs (saying once why not), with which identity,
// for which node. One per agent process; `--hollow` nodes have none (they run nothing to reach).
import { TugboatClient, type ClientConfig } from '@tugboat/api';
import { HostGwRouter } from '../routes/router.js';
import { nftInstalled } from './nft.js';
import { resolveProxyMode, type ProxyModeChoice } from './node-facts.js';
import { ServiceProxy, type ProxyMetrics } from './proxier.js';
import { proxyTableName } from './ruleset.js';

export interface AgentProxyOptions {
  readonly hollow: number;
  readonly nodeName: string;
  readonly dataDir: string;
  readonly proxyMode: ProxyModeChoice;
  readonly nodePortAddresses?: readonly string[];
  /** --proxy-kubeconfig's credentials (AgentSecurity.proxyClient). */
  readonly proxyClient?: ClientConfig;
  /** The node's address (its InternalIP). */
  readonly internalIP: string;
  readonly metrics?: ProxyMetrics;
  /**
   * Whether this node's pods have a pod network of their own (the oci runtime): then routes
   * to the other nodes' pod CIDRs and the masquerade for pod traffic leaving the pod
   * networks are kept here too (routes/, flannel's host-gw).
   */
  readonly podNetwork: boolean;
  readonly log: (line: string) => void;
}

export interface AgentProxy {
  readonly proxy: ServiceProxy;
  readonly router?: HostGwRouter;
  /** Stops it and removes its table (see ServiceProxy.stop). */
  stop(): Promise<void>;
}

/** Starts the proxy in the background (its first sync waits for the API), or says why none runs. Throws for `--proxy-mode nftables` where it cannot work. */
export function startAgentProxy(o: AgentProxyOptions): AgentProxy | undefined {
  if (o.hollow > 0) {
    if (o.proxyClient) o.log('service proxy: off (hollow nodes run nothing to proxy to)');
    return undefined;
  }
  if (!o.proxyClient) {
    o.log('service proxy: off (no --proxy-kubeconfig)');
    return undefined;
  }
  const mode = resolveProxyMode(o.proxyMode, { root: process.getuid?.() === 0, nft: nftInstalled() });
  if (mode.mode === 'off') {
    o.log(`service proxy: off (${mode.reason})`);
    return undefined;
  }
  const client = new TugboatClient(o.proxyClient.server, { timeoutMs: 30_000, credentials: o.proxyClient.credentials });
  const table = proxyTableName(o.nodeName, o.dataDir);
  const proxy = new ServiceProxy({
    client, nodeName: o.nodeName, nodeIP: o.internalIP, table, log: o.log,
    ...(o.nodePortAddresses ? { nodePortAddresses: o.nodePortAddresses } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
  });
  const ports = o.nodePortAddresses ? `NodePorts on ${o.nodePortAddresses.join(',')}` : 'NodePorts on every local address but loopback';
  o.log(`service proxy: nftables, table ip ${table}, ${ports}`);
  let first = true;
  proxy.onSync((r) => {
    if (first) o.log(`service proxy: ${r.services} Services, ${r.chainsWritten} chains in table ip ${table}`);
    first = false;
  });
  // Not awaited: the agent serves its pods whether or not the API lets the proxy list yet;
  // failures are logged by the proxy and retried.
  void proxy.start().catch(() => undefined);
  const router = o.podNetwork ? new HostGwRouter({ client, nodeName: o.nodeName, tableKey: `${o.nodeName}|${o.dataDir}`, log: o.log }) : undefined;
  if (router) {
    o.log('pod network routes: host-gw (a route per other node\'s pod CIDR via its address)');
    void router.start().catch((e: unknown) => o.log(`pod network routes: ${e instanceof Error ? e.message : String(e)}`));
  }
  return {
    proxy,
    ...(router ? { router } : {}),
    async stop() {
      // Routes stay (pods on other nodes keep reaching ours while the agent restarts); the
      // masquerade table goes with the proxy's, and the next start writes both again.
      await router?.stop();
      await router?.removeRules().catch(() => undefined);
      await proxy.stop({ removeRules: true });
      client.close();
    },
  };
}
