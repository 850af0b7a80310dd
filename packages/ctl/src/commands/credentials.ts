// Credentials made with the cluster CA in $TUGBOAT_HOME/pki, so they work only on the
// control-plane machine (the CA key is there and nowhere else):
//
//   tctl cluster issue-user NAME [--group G]…      a kubeconfig with a client certificate
//                                                 (CN NAME, O each group), printed whole
//   tctl cluster join-config NODE --address IP --out DIR
//                                                 what an agent on another server needs:
//                                                 its kubeconfig (system:node:NODE), the CA,
//                                                 its serving certificate; and the command
//
// Whoever holds the files is that user or node until the certificate expires: there is no
// revocation short of a new CA, hence the refusal of privileged identities by default.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import {
  GROUP_MASTERS, GROUP_NODES, isDNS1123Subdomain, nodeUsername, renderKubeconfig,
} from '@tugboat/api';
import { durationArg } from '../args.js';
import { defineCommand } from '../command.js';
import { DEFAULT_SERVER, readConfig, stripScheme, tugboatHome } from '../config.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { ClusterPki } from '../cluster/pki.js';

const DAY_MS = 86_400_000;
const NODE_PREFIX = 'system:node:';
/** Where the agent serves logs and exec, kubelet's port. */
const AGENT_PORT = 10250;

/** The cluster PKI, or why these commands cannot run here. */
function clusterPki(ctx: Context): ClusterPki {
  const pki = new ClusterPki(tugboatHome(ctx.env));
  if (!pki.exists()) throw new CliError(`no cluster CA in ${pki.layout.dir}: run this on the control-plane machine, after tctl cluster up`);
  return pki;
}

/** --server, else config.json's, else the default; HOST:PORT. */
function apiServerAddress(ctx: Context, flag: string | undefined): string {
  const server = stripScheme(flag || readConfig(ctx.env).server || DEFAULT_SERVER);
  if (!/^(\[[^\]]+\]|[^:[\]]+):\d+$/.test(server)) throw new UsageError(`--server must be HOST:PORT, got ${JSON.stringify(server)}`);
  return server;
}

function validDays(text: string): number {
  const ms = durationArg(text);
  if (ms <= 0) throw new UsageError('--duration must be more than 0');
  return ms / DAY_MS;
}

function hostOf(address: string): string {
  return /^\[([^\]]+)\]/.exec(address)?.[1] ?? address.replace(/:\d+$/, '');
}

/** One spelling per address ("0:0:0:0:0:0:0:1" and "::1" alike), so certificate SANs compare. */
function normalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]`).hostname.slice(1, -1) : ip;
}

function nameMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p.startsWith('*.')) return h.endsWith(p.slice(1)) && !h.slice(0, -(p.length - 1)).includes('.');
  return p === h;
}

/**
 * A warning when the API server's certificate does not name the host clients will dial: TLS
 * would then fail on the other machine (the name check) while everything works locally.
 */
export function serverNameWarning(apiserverCertPem: string, certFile: string, server: string, describe: (pem: string) => { dnsNames: readonly string[]; ipAddresses: readonly string[] }): string | undefined {
  const host = hostOf(server);
  const names = describe(apiserverCertPem);
  const ok = isIP(host)
    ? names.ipAddresses.some((ip) => normalIp(ip) === normalIp(host))
    : names.dnsNames.some((n) => nameMatches(n, host));
  if (ok) return undefined;
  const listed = [...names.dnsNames, ...names.ipAddresses.map(normalIp)].join(', ');
  return `the API server's certificate (${certFile}) does not name ${host} (it names ${listed}), so clients dialling ${server} will refuse it: add --tls-server-name tugboat-apiserver to check a name it carries instead`;
}

/** A loopback address works only on this machine: a warning for credentials meant for another. */
function loopbackWarning(server: string): string | undefined {
  const host = hostOf(server);
  return host === 'localhost' || host.startsWith('127.') || normalIp(host) === '::1'
    ? `${server} is this machine's loopback address: another machine cannot reach the API server there (pass --server with an address it can reach)`
    : undefined;
}

async function checkServer(ctx: Context, pki: ClusterPki, server: string, serverName: string | undefined, remote: boolean): Promise<void> {
  const warnings: string[] = [];
  if (remote) {
    const w = loopbackWarning(server);
    if (w) warnings.push(w);
  }
  const certFile = pki.layout.apiserver.cert;
  if (!serverName && existsSync(certFile)) {
    const { describeCertificate } = await import('@tugboat/api/pki');
    const w = serverNameWarning(readFileSync(certFile, 'utf8'), certFile, server, describeCertificate);
    if (w) warnings.push(w);
  }
  for (const w of warnings) ctx.err(`Warning: ${w}\n`);
}

/** The identities whose holder could not be stopped short of a new CA, and why each is refused. */
export function privilegedReason(name: string, groups: readonly string[]): string | undefined {
  if (name.startsWith(NODE_PREFIX)) return `"${name}" is a node's identity: its holder may act as node "${name.slice(NODE_PREFIX.length)}" (read the secrets of the pods bound there, change its status); use tctl cluster join-config for nodes`;
  if (groups.includes(GROUP_MASTERS)) return `group ${GROUP_MASTERS} bypasses every authorization check, and a certificate cannot be revoked short of a new CA; bind a ClusterRole (cluster-admin) to the user instead`;
  if (groups.includes(GROUP_NODES)) return `group ${GROUP_NODES} is the nodes' group; use tctl cluster join-config for nodes`;
  return undefined;
}

const SERVER_FLAG = { type: 'string', short: 's', value: 'HOST:PORT', description: 'the API server address to put in the kubeconfig (default: config.json\'s server)' } as const;
const TLS_SERVER_NAME_FLAG = { type: 'string', value: 'NAME', description: 'the name to check in the API server\'s certificate when it does not name --server\'s host (e.g. tugboat-apiserver)' } as const;

export const issueUserCommand = defineCommand({
  name: 'issue-user',
  summary: 'Print a kubeconfig for a new user: a client certificate (CN NAME, O each --group) from the cluster CA',
  usage: 'tctl cluster issue-user NAME [--group G]… [--duration 8760h] [--server HOST:PORT] [-n NS] > NAME.kubeconfig',
  details: [
    'Runs where the cluster CA is ($TUGBOAT_HOME/pki). The kubeconfig has everything inline (CA, certificate, key):',
    'keep it 0600 and hand it over privately. The user then runs: tctl --kubeconfig NAME.kubeconfig get pods',
    'What the user may do is up to RBAC (Roles and bindings for the user or its groups).',
    'Node identities (system:node:*) and groups system:masters and system:nodes need --allow-privileged.',
  ].join('\n'),
  flags: {
    group: { type: 'strings', value: 'GROUP', description: 'a group of the user (the certificate\'s O; repeatable)' },
    duration: { type: 'string', value: 'DURATION', default: '8760h', description: 'how long the certificate is valid' },
    server: SERVER_FLAG,
    'tls-server-name': TLS_SERVER_NAME_FLAG,
    'allow-privileged': { type: 'boolean', description: 'allow a node identity or group system:masters / system:nodes' },
  },
  async run(ctx, { flags, positionals }) {
    const [name, ...more] = positionals;
    if (!name) throw new UsageError('a user name is required (usage: tctl cluster issue-user NAME [--group G]…)');
    if (more.length) throw new UsageError(`unexpected arguments: ${more.join(' ')}`);
    const groups = flags.group;
    if (groups.some((g) => !g)) throw new UsageError('--group must not be empty');
    const why = privilegedReason(name, groups);
    if (why && !flags['allow-privileged']) throw new CliError(`refusing to issue this certificate: ${why} (--allow-privileged to do it anyway)`);
    const days = validDays(flags.duration);
    const server = apiServerAddress(ctx, flags.server);
    const pki = clusterPki(ctx);
    const serverName = flags['tls-server-name'];
    await checkServer(ctx, pki, server, serverName, false);
    const { issueCertificate } = await import('@tugboat/api/pki');
    const cert = await issueCertificate(pki.ca(), { commonName: name, organizations: groups, usage: 'client', validDays: days });
    ctx.out(renderKubeconfig({
      server,
      caPem: pki.caPem(),
      user: name,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      ...(ctx.namespaceExplicit ? { namespace: ctx.namespace } : {}),
      ...(serverName ? { serverName } : {}),
    }));
    return 0;
  },
});

export const joinConfigCommand = defineCommand({
  name: 'join-config',
  summary: 'Write what an agent on another server needs to join: its kubeconfig, the CA, its serving certificate',
  usage: 'tctl cluster join-config NODE --address IP --out DIR [--server HOST:PORT] [--duration 8760h]',
  details: [
    'Runs where the cluster CA is ($TUGBOAT_HOME/pki). Writes into DIR (0700): kubeconfig (client certificate',
    'CN system:node:NODE, O system:nodes), ca.crt, serving.crt and serving.key (CN system:node:NODE, for IP and NODE);',
    'keys 0600. Copy DIR to that server and run the tugboat-agent command printed at the end.',
    '--server must be an address of the API server the other machine can reach (its certificate must name it).',
  ].join('\n'),
  flags: {
    address: { type: 'string', value: 'IP', description: 'the node\'s IP address: the API server reaches its agent there (logs, exec)' },
    out: { type: 'string', value: 'DIR', description: 'directory to write the files into (made 0700)' },
    server: SERVER_FLAG,
    'tls-server-name': TLS_SERVER_NAME_FLAG,
    duration: { type: 'string', value: 'DURATION', default: '8760h', description: 'how long the certificates are valid' },
  },
  async run(ctx, { flags, positionals }) {
    const [node, ...more] = positionals;
    if (!node) throw new UsageError('a node name is required (usage: tctl cluster join-config NODE --address IP --out DIR)');
    if (more.length) throw new UsageError(`unexpected arguments: ${more.join(' ')}`);
    const bad = isDNS1123Subdomain(node);
    if (bad.length) throw new UsageError(`invalid node name ${JSON.stringify(node)}: ${bad.join('; ')}`);
    const address = flags.address;
    if (!address) throw new UsageError('--address IP is required: the address the API server reaches the node\'s agent at');
    if (!isIP(address)) throw new UsageError(`--address must be an IP address, got ${JSON.stringify(address)}`);
    if (!flags.out) throw new UsageError('--out DIR is required');
    const days = validDays(flags.duration);
    const server = apiServerAddress(ctx, flags.server);
    const pki = clusterPki(ctx);
    const serverName = flags['tls-server-name'];
    await checkServer(ctx, pki, server, serverName, true);

    const { issueCertificate, writePrivateFile } = await import('@tugboat/api/pki');
    const ca = pki.ca();
    const user = nodeUsername(node);
    const client = await issueCertificate(ca, { commonName: user, organizations: [GROUP_NODES], usage: 'client', validDays: days });
    const serving = await issueCertificate(ca, { commonName: user, usage: 'server', dnsNames: [node], ipAddresses: [address], validDays: days });
    const dir = resolve(ctx.io.cwd, flags.out);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // An existing directory keeps its mode through mkdir: the keys inside must not be readable by others.
    chmodSync(dir, 0o700);
    const files = { kubeconfig: join(dir, 'kubeconfig'), ca: join(dir, 'ca.crt'), cert: join(dir, 'serving.crt'), key: join(dir, 'serving.key') };
    writePrivateFile(files.kubeconfig, renderKubeconfig({ server, caPem: ca.certPem, user, certPem: client.certPem, keyPem: client.keyPem, ...(serverName ? { serverName } : {}) }));
    writeFileSync(files.ca, ca.certPem, { mode: 0o644 });
    writeFileSync(files.cert, serving.certPem, { mode: 0o644 });
    writePrivateFile(files.key, serving.keyPem);
    // The agent advertises its --listen host as the Node's InternalIP (0.0.0.0 would advertise
    // 127.0.0.1), and that is where the API server dials it for logs and exec.
    const listen = `${isIP(address) === 6 ? `[${address}]` : address}:${AGENT_PORT}`;
    ctx.out([
      `Wrote ${dir}: kubeconfig (${user}, group ${GROUP_NODES}, API server ${server}), ca.crt, serving.crt, serving.key (for ${node} and ${address}).`,
      `Copy it to the same path on that server (keep it 0700), then run there:`,
      `  tugboat-agent --node-name ${node} --kubeconfig ${files.kubeconfig} --tls-cert-file ${files.cert} --tls-private-key-file ${files.key} --client-ca-file ${files.ca} --listen ${listen}`,
      '',
    ].join('\n'));
    return 0;
  },
});
