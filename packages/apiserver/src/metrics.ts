// The API server's Prometheus metrics, named as kube-apiserver names them. One registry per
// server instance, so two servers in one process (tests) do not share counters.
import { collectProcessMetrics } from '@tugboat/api/metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ApiServerMetrics {
  readonly registry = new Registry();

  readonly requestTotal = new Counter({
    name: 'apiserver_request_total',
    help: 'Requests served, by verb (the RPC; for the REST API, Kubernetes\' verb), resource and code (gRPC status name; for REST, the HTTP code).',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'apiserver_request_duration_seconds',
    help: 'Time to serve a unary request (watch and logs streams are not timed), by verb and resource.',
    labelNames: ['verb', 'resource'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly storageObjects = new Gauge({
    name: 'apiserver_storage_objects',
    help: 'Objects stored in etcd, by resource (counted periodically).',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  readonly etcdRequestDuration = new Histogram({
    name: 'etcd_request_duration_seconds',
    help: 'Time of each etcd request made by the API server, by operation.',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly watchers = new Gauge({
    name: 'apiserver_registered_watchers',
    help: 'Open watch streams, by resource.',
    labelNames: ['resource'] as const,
    registers: [this.registry],
  });

  readonly cacheListTotal = new Counter({
    name: 'apiserver_cache_list_total',
    help: 'Lists answered from the list cache (memory, kept current by the watch cache; later pages from the first page\'s snapshot), by resource and the field index used ("" for none).',
    labelNames: ['resource', 'index'] as const,
    registers: [this.registry],
  });

  readonly storageListTotal = new Counter({
    name: 'apiserver_storage_list_total',
    help: 'Lists answered from etcd, by resource and why not from the list cache: disabled (--list-from-cache=false), excluded (events), not_ready (the cache is filling), continue (a later page whose first page\'s snapshot is gone), exact (resourceVersionMatch=Exact), timeout (the cache did not reach etcd\'s revision in time), lagging (the cache was lately more than 1 s behind: not waited for), fill (the cache filling itself).',
    labelNames: ['resource', 'reason'] as const,
    registers: [this.registry],
  });

  readonly cacheReadWait = new Histogram({
    name: 'apiserver_watch_cache_read_wait_seconds',
    help: 'How long a list waited for the list cache to reach the revision it must answer at (a consistent list: etcd\'s current revision), by resource.',
    labelNames: ['resource'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 3],
    registers: [this.registry],
  });

  constructor() {
    collectProcessMetrics(this.registry);
  }
}
