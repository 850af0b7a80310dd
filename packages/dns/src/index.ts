// @tugboat/dns: the cluster DNS server (tugboat-dns) as a library, for tests and tools.
export { ClusterIndex, serviceView, sliceView, podView, SERVICE_NAME_LABEL, type ServiceView, type SliceView, type PodView, type EndpointView, type PortView } from './cluster-index.js';
export { resolve, soaRecord, DNS_SCHEMA_VERSION, DEFAULT_TTL, type Resolution, type ZoneConfig } from './resolve.js';
export { DnsServer, type DnsServerOptions } from './server.js';
export { DnsMetrics } from './metrics.js';
export { startClusterDns, normalizeDomain, type ClusterDns, type ClusterDnsOptions } from './cluster-dns.js';
export { DNS_SERVICE_NAME, MANAGED_BY, MANAGED_BY_LABEL, sliceName, desiredService, desiredSlice } from './publish.js';
export { parseFlags, USAGE, type Flags } from './flags.js';
