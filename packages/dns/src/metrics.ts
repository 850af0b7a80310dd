// The DNS server's Prometheus metrics, with CoreDNS's names (so its dashboards and alerts
// work): coredns_dns_requests_total{server,zone,proto,family,type},
// coredns_dns_responses_total{server,zone,rcode,plugin}, coredns_dns_request_duration_seconds
// {server,zone,type}, plus prom-client's process and Node.js defaults. CoreDNS's `view` label
// is left out: there are no views here.
//
// Counting is on the hot path, so a request bumps plain numbers in its Series (one per label
// combination, held by the cached response it was answered from: a counter and a duration
// bucket); the counters and the histogram take the sums when scraped.
import { collectProcessMetrics } from '@tugboat/api/metrics';
import { Counter, Registry, type Metric } from 'prom-client';

/** CoreDNS's plugin.TimeBuckets: 0.25 ms … 8 s, doubling. */
const TIME_BUCKETS = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);

/** The query types CoreDNS names in its labels; every other type is "other". */
const MONITORED_TYPES = new Set(['A', 'AAAA', 'CNAME', 'DNSKEY', 'DS', 'MX', 'NSEC3', 'NSEC', 'NS', 'PTR', 'RRSIG', 'SOA', 'SRV', 'TXT', 'HTTPS', 'SVCB', 'IXFR', 'AXFR', 'ANY']);

export function typeLabel(qtype: string): string {
  return MONITORED_TYPES.has(qtype) ? qtype : qtype === 'UNKNOWN_65' ? 'HTTPS' : qtype === 'UNKNOWN_64' ? 'SVCB' : 'other';
}

export interface SeriesLabels {
  /** dns://HOST:PORT of the listener. */
  readonly server: string;
  /** The zone that answered: "cluster.local.", "in-addr.arpa.", or "." for everything else. */
  readonly zone: string;
  readonly proto: 'udp' | 'tcp';
  /** "1" IPv4, "2" IPv6 (CoreDNS's values). */
  readonly family: '1' | '2';
  readonly type: string;
  readonly rcode: string;
  /** Who wrote the response: kubernetes, forward, or "" (the server itself). */
  readonly plugin: string;
}

/** One label combination's counts, bumped without touching prom-client. */
export class Series {
  requests = 0;
  /** Requests per duration bucket (the last: above every bound), and their summed seconds. */
  readonly buckets = new Float64Array(TIME_BUCKETS.length + 1);
  durationSum = 0;
  private flushedRequests = 0;
  private flushedResponses = 0;

  constructor(readonly labels: SeriesLabels) {}

  /** One request answered in `seconds`. */
  count(seconds: number): void {
    this.requests++;
    this.durationSum += seconds;
    let i = 0;
    while (i < TIME_BUCKETS.length && seconds > TIME_BUCKETS[i]!) i++;
    this.buckets[i]!++;
  }

  takeRequests(): number {
    const d = this.requests - this.flushedRequests;
    this.flushedRequests = this.requests;
    return d;
  }

  takeResponses(): number {
    const d = this.requests - this.flushedResponses;
    this.flushedResponses = this.requests;
    return d;
  }
}

interface HistogramValue {
  readonly metricName: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/**
 * coredns_dns_request_duration_seconds{server,zone,type}, summed from the Series' bucket
 * counts when scraped. prom-client's registry reads any metric through name, help, type and
 * get() — its own metrics are no more — so this sits beside them and renders the same text.
 */
class DurationHistogram {
  readonly name = 'coredns_dns_request_duration_seconds';
  readonly help = 'Histogram of the time (in seconds) each request took per zone.';
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(private readonly series: () => Iterable<Series>) {}

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: HistogramValue[] }> {
    const groups = new Map<string, { labels: Record<string, string>; buckets: Float64Array; sum: number; count: number }>();
    for (const s of this.series()) {
      const key = `${s.labels.server}|${s.labels.zone}|${s.labels.type}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { labels: { server: s.labels.server, zone: s.labels.zone, type: s.labels.type }, buckets: new Float64Array(TIME_BUCKETS.length + 1), sum: 0, count: 0 }));
      for (let i = 0; i < s.buckets.length; i++) g.buckets[i]! += s.buckets[i]!;
      g.sum += s.durationSum;
      g.count += s.requests;
    }
    const values: HistogramValue[] = [];
    for (const g of groups.values()) {
      let cumulative = 0;
      TIME_BUCKETS.forEach((le, i) => {
        cumulative += g.buckets[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...g.labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...g.labels, le: '+Inf' }, value: g.count });
      values.push({ metricName: `${this.name}_sum`, labels: g.labels, value: g.sum });
      values.push({ metricName: `${this.name}_count`, labels: g.labels, value: g.count });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  reset(): void { /* counts only grow, as a histogram's do */ }
}

export class DnsMetrics {
  readonly registry = new Registry();
  private readonly series = new Map<string, Series>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectProcessMetrics(this.registry);
    const all = (): Iterable<Series> => this.series.values();
    new Counter({
      name: 'coredns_dns_requests_total',
      help: 'Counter of DNS requests made per zone, protocol and family.',
      labelNames: ['server', 'zone', 'proto', 'family', 'type'],
      registers: [this.registry],
      collect() {
        for (const s of all()) {
          const d = s.takeRequests();
          if (d > 0) this.inc({ server: s.labels.server, zone: s.labels.zone, proto: s.labels.proto, family: s.labels.family, type: s.labels.type }, d);
        }
      },
    });
    new Counter({
      name: 'coredns_dns_responses_total',
      help: 'Counter of response status codes.',
      labelNames: ['server', 'zone', 'rcode', 'plugin'],
      registers: [this.registry],
      collect() {
        for (const s of all()) {
          const d = s.takeResponses();
          if (d > 0) this.inc({ server: s.labels.server, zone: s.labels.zone, rcode: s.labels.rcode, plugin: s.labels.plugin }, d);
        }
      },
    });
    this.registry.registerMetric(new DurationHistogram(all) as unknown as Metric);
  }

  /** The Series for these labels (made on first use; the label values are bounded). */
  seriesFor(labels: SeriesLabels): Series {
    const key = `${labels.server}|${labels.zone}|${labels.proto}|${labels.family}|${labels.type}|${labels.rcode}|${labels.plugin}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = new Series(labels)));
    return s;
  }
}
