// tugboat-dns put together: informers → index → DNS server, the HTTP endpoints, and the
// kube-dns Service and EndpointSlice that make it the cluster's DNS.
//
//   API server ══watch══▶ ClusterWatch ──▶ ClusterIndex ──▶ resolve() ◀── DnsServer ◀── UDP/TCP queries
//                              │                 │ change                     │
//                              │                 └──▶ drop cached responses ──┘
//                              └─ synced ──▶ /readyz 200, publish kube-dns (then kept as published)
import { SYSTEM_NAMESPACE, parseHostPort, serveComponentHttp, type ComponentHttp, type HostPort, type TugboatClient } from '@tugboat/api';
import { ClusterIndex } from './cluster-index.js';
import { ClusterWatch } from './cluster-watch.js';
import { DnsMetrics } from './metrics.js';
import { DNS_SERVICE_NAME, ensureSlice, isPublished, publish, sliceName, type PublishOptions } from './publish.js';
import { DEFAULT_TTL, type PodsMode, type ZoneConfig } from './resolve.js';
import { DnsServer } from './server.js';

export interface ClusterDnsOptions {
  /** A client with the identity system:kube-dns. */
  readonly client: TugboatClient;
  /** HOST:PORT for DNS over UDP and TCP (port 0: a free one). */
  readonly listen: string;
  /** HOST:PORT for /metrics, /healthz, /readyz (port 0: a free one). */
  readonly httpListen: string;
  readonly clusterDomain: string;
  readonly upstreams?: readonly HostPort[];
  /** The kube-dns Service's ClusterIP. */
  readonly serviceIP: string;
  /** The address in the EndpointSlice (default: the listen host). */
  readonly advertiseAddress?: string;
  /** Publish the kube-dns Service and EndpointSlice (default true). */
  readonly publish?: boolean;
  readonly ttl?: number;
  /** How pod names are answered (default insecure, as kubeadm's Corefile): see PodsMode. */
  readonly pods?: PodsMode;
  readonly metrics?: DnsMetrics;
  readonly log?: (line: string) => void;
  /** How often the published objects are compared with the informers' copies (default 5 s). */
  readonly republishIntervalMs?: number;
}

export interface ClusterDns {
  /** HOST:PORT answering DNS (UDP and TCP). */
  readonly dnsAddress: string;
  readonly port: number;
  /** HOST:PORT of /metrics, /healthz, /readyz. */
  readonly httpAddress: string;
  readonly index: ClusterIndex;
  readonly server: DnsServer;
  readonly metrics: DnsMetrics;
  /** Resolves once every informer has listed. */
  readonly synced: Promise<void>;
  /** Resolves once the kube-dns Service and this process's slice are written. */
  readonly published: Promise<void>;
  ready(): boolean;
  /** Marks this endpoint not ready (when published), then stops everything. */
  stop(): Promise<void>;
}

export function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replace(/^\.+|\.+$/g, '');
}

export async function startClusterDns(opts: ClusterDnsOptions): Promise<ClusterDns> {
  const log = opts.log ?? (() => undefined);
  const metrics = opts.metrics ?? new DnsMetrics();
  const index = new ClusterIndex();
  const pods = opts.pods ?? 'insecure';
  const watch = new ClusterWatch(opts.client, index, log, { watchPods: pods === 'verified' });
  const zone: ZoneConfig = { zone: normalizeDomain(opts.clusterDomain), ttl: opts.ttl ?? DEFAULT_TTL, nameserverIPs: [opts.serviceIP], pods };
  const server = await DnsServer.start({ listen: opts.listen, index, zone, metrics, upstreams: opts.upstreams ?? [], synced: () => watch.synced(), log });
  let http: ComponentHttp;
  try {
    http = await serveComponentHttp({ listen: opts.httpListen, metrics: metrics.registry, ready: () => Promise.resolve(watch.synced()), notReadyMessage: `the Services, EndpointSlices${pods === 'verified' ? ', Pods' : ''} and Namespaces informers have not synced` });
  } catch (e) {
    await server.close();
    throw e;
  }

  const listenHost = parseHostPort(server.address, '--listen').host;
  const advertise = opts.advertiseAddress ?? listenHost;
  const publishOpts: PublishOptions = {
    serviceIP: opts.serviceIP, advertiseAddress: advertise, dnsPort: server.port, metricsPort: parseHostPort(http.address, '--http-listen').port,
  };
  const publishing = opts.publish ?? true;
  let stopped = false;
  let publishedOnce = false;
  let timer: NodeJS.Timeout | undefined;

  const synced = watch.start().then(() => {
    const n = index.size();
    log(`informers synced: ${n.services} services, ${n.slices} endpointslices, ${pods === 'verified' ? `${n.pods} pods` : `no pods (--pods ${pods})`}, ${n.namespaces} namespaces`);
  });

  // Publish once synced; then keep it as published (a deleted Service comes back), checking
  // the informers' copies and writing only when they differ. Failures back off to 30 s.
  let resolvePublished!: () => void;
  const published = new Promise<void>((r) => { resolvePublished = r; });
  let backoff = 1_000;
  const republish = async (): Promise<void> => {
    if (stopped) return;
    const ns = SYSTEM_NAMESPACE;
    let next = opts.republishIntervalMs ?? 5_000;
    if (!publishedOnce || !isPublished(watch.cachedService(`${ns}/${DNS_SERVICE_NAME}`), watch.cachedSlice(`${ns}/${sliceName(advertise)}`), publishOpts)) {
      try {
        // publish() reads before it writes: an informer that lags only costs two reads.
        await publish(opts.client, publishOpts, log);
        if (!publishedOnce) log(`published as ${ns}/${DNS_SERVICE_NAME} ${opts.serviceIP} → ${advertise}:${server.port}`);
        publishedOnce = true;
        backoff = 1_000;
        resolvePublished();
      } catch (e) {
        log(`publish ${ns}/${DNS_SERVICE_NAME}: ${e instanceof Error ? e.message : String(e)} (retrying in ${Math.round(backoff / 1000)} s)`);
        next = backoff;
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
    if (!stopped) timer = setTimeout(() => void republish(), next);
  };
  if (publishing) void synced.then(republish);

  return {
    dnsAddress: server.address,
    port: server.port,
    httpAddress: http.address,
    index,
    server,
    metrics,
    synced,
    published,
    ready: () => watch.synced(),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      if (publishing && publishedOnce) {
        // Take this endpoint out of the Service before the port closes; best effort.
        await Promise.race([
          ensureSlice(opts.client, publishOpts, false).catch((e: unknown) => log(`unpublish: ${e instanceof Error ? e.message : String(e)}`)),
          new Promise((r) => setTimeout(r, 2_000).unref()),
        ]);
      }
      watch.stop();
      await Promise.all([server.close(), http.close()]);
    },
  };
}

