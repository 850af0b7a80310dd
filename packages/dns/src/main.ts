// tugboat-dns: the cluster DNS server.
//   tugboat-dns --kubeconfig FILE [--listen HOST:PORT] [--http-listen HOST:PORT] [--cluster-domain D]
//               [--upstream IP:PORT,…] [--service-ip IP] [--advertise-address IP]
import { TugboatClient, componentClientConfig, type ClientConfig } from '@tugboat/api';
import { startClusterDns, type ClusterDns } from './cluster-dns.js';
import { USAGE, parseFlags, type Flags } from './flags.js';

const fail = (e: unknown, code: number): never => {
  process.stderr.write(`tugboat-dns: ${e instanceof Error ? e.message : String(e)}${code === 2 ? ' (see --help)' : ''}\n`);
  process.exit(code);
};

async function main(): Promise<void> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (e) {
    return fail(e, 2);
  }
  if (flags === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  let conn: ClientConfig;
  try {
    conn = componentClientConfig({ kubeconfig: flags.kubeconfig, server: flags.server });
  } catch (e) {
    return fail(e, 1);
  }
  const client = new TugboatClient(conn.server, { timeoutMs: 30_000, credentials: conn.credentials });
  const log = (line: string): void => console.error(`tugboat-dns: ${line}`);
  let dns: ClusterDns;
  try {
    dns = await startClusterDns({
      client, listen: flags.listen, httpListen: flags.httpListen, clusterDomain: flags.clusterDomain, upstreams: flags.upstreams,
      serviceIP: flags.serviceIP, advertiseAddress: flags.advertiseAddress, pods: flags.pods, log,
    });
  } catch (e) {
    client.close();
    return fail(e, 1);
  }
  const upstream = flags.upstreams.length ? `forwarding other names to ${flags.upstreams.map((u) => `${u.host}:${u.port}`).join(',')}` : 'NXDOMAIN for other names (no --upstream)';
  log(`serving DNS on ${dns.dnsAddress} (udp, tcp) for ${flags.clusterDomain}, ${upstream}; /metrics, /healthz and /readyz on ${dns.httpAddress}; API server ${conn.server}`);

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    void dns.stop()
      .catch((e: unknown) => log(`stop: ${e instanceof Error ? e.message : String(e)}`))
      .then(() => { client.close(); process.exit(0); });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
