// Command-line flags of tugboat-apiserver (`--flag value` or `--flag=value`), declared as a
// table for @tugboat/api's parser, which also prints them for --help. Pure but for the files
// flags name, which are read after parsing through `readFile` (tests pass their own).
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { DEFAULT_HTTP_LISTEN, DEFAULT_LISTEN, type ApiServerOptions, type AuthorizationMode } from './server.js';
import { FlagError, defineFlags, formatFlagUsage, parseCommandLine, pickFlags, type FlagValues } from '@tugboat/api';
import { DEFAULT_NODE_PORT_RANGE, DEFAULT_SERVICE_CLUSTER_IP_RANGE, parseCidr, parsePortRange } from './registry/service-allocation.js';
import { parseEncryptionConfig, type EncryptionConfig } from './storage/encryption/config.js';
import type { ReencryptCommandOptions } from './storage/encryption/reencrypt.js';
import { etcdTlsMismatch, loadEtcdTls, type EtcdTls } from './storage/etcd-tls.js';

/** Reads a file a flag names; a one-line error naming the flag otherwise. */
export type FlagFileReader = (path: string, flag: string) => string;

export const readFlagFile: FlagFileReader = (path, flag) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${flag} ${path}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
};

const AUTHORIZATION_MODES: readonly AuthorizationMode[] = ['AlwaysAllow', 'Node', 'RBAC'];

const ETCD_FLAGS = defineFlags({
  'etcd-servers': { kind: 'list', metavar: 'URL[,URL...]', section: '', help: 'etcd client URLs (required), e.g. https://127.0.0.1:2379' },
  'etcd-cafile': { kind: 'string', metavar: 'FILE', help: 'CA of etcd\'s serving certificate  } all three for https:// etcd' },
  'etcd-certfile': { kind: 'string', metavar: 'FILE', help: 'client certificate shown to etcd  } URLs (mutual TLS), none' },
  'etcd-keyfile': { kind: 'string', metavar: 'FILE', help: 'its key                           } for http://' },
  'encryption-provider-config': {
    kind: 'string', metavar: 'FILE',
    help: 'EncryptionConfiguration (Kubernetes\' format): which resources are\nencrypted in etcd, with which providers and keys',
  },
});

const SECURITY = 'Security (the API server speaks TLS only, and every request must authenticate):';
const SERVICES = 'Services:';

const FLAGS = defineFlags({
  ...ETCD_FLAGS,
  listen: { kind: 'host-port', default: DEFAULT_LISTEN, help: `gRPC address (default ${DEFAULT_LISTEN}; port 0 picks one)` },
  'http-listen': { kind: 'host-port', default: DEFAULT_HTTP_LISTEN, help: `/metrics, /healthz, /readyz (default ${DEFAULT_HTTP_LISTEN})` },
  'watch-cache-size': { kind: 'integer', min: 1, help: 'changes kept per resource for resuming watchers (default 1000)' },
  'watch-cache-retention': { kind: 'duration', default: '75s', metavar: 'DURATION', help: 'changes younger than this are kept beyond the size too (default 75s; 0: by size only)' },
  'event-ttl': { kind: 'duration', default: '1h', metavar: 'DURATION', help: 'Events are deleted this long after their last write (default 1h; 0: kept until deleted)' },
  'list-from-cache': { kind: 'boolean', default: 'true', help: 'answer lists from memory kept current by the watch cache, consistent ones\nincluded (Kubernetes\' ConsistentListFromCache; default true; false: etcd)' },
  workers: { kind: 'integer', min: 0, default: '1', help: 'server processes sharing the ports, one core each (default 1; 0: one per core)' },
  'tls-cert-file': { kind: 'string', metavar: 'FILE', section: SECURITY, help: 'serving certificate (PEM; required)' },
  'tls-private-key-file': { kind: 'string', metavar: 'FILE', help: 'its key (required)' },
  'client-ca-file': { kind: 'string', metavar: 'FILE', help: 'CA of client certificates: CN is the user, each O a group' },
  'token-auth-file': { kind: 'string', metavar: 'FILE', help: 'static bearer tokens, CSV: token,user,uid,"group1,group2"' },
  'service-account-key-file': { kind: 'list', metavar: 'FILE[,…]', help: 'public keys that verify ServiceAccount tokens' },
  'service-account-signing-key-file': { kind: 'string', metavar: 'FILE', help: 'private key that signs ServiceAccount tokens (TokenRequest)' },
  'service-account-issuer': { kind: 'string', metavar: 'URL', help: 'the tokens\' iss (default https://kubernetes.default.svc.cluster.local)' },
  'api-audiences': { kind: 'list', metavar: 'A[,…]', help: 'audiences tokens must name (default: the issuer)' },
  'authorization-mode': {
    kind: 'list', metavar: 'M[,…]',
    help: 'in order, from Node, RBAC, AlwaysAllow (default Node,RBAC);\nsystem:masters is always allowed first',
  },
  'kubelet-client-certificate': { kind: 'string', metavar: 'FILE', help: 'client certificate towards agents (logs, exec)' },
  'kubelet-client-key': { kind: 'string', metavar: 'FILE', help: 'its key' },
  'kubelet-certificate-authority': { kind: 'string', metavar: 'FILE', help: 'CA of the agents\' serving certificates' },
  'audit-log-path': { kind: 'string', metavar: 'FILE', help: 'one JSON line per request (Kubernetes\' audit Event)' },
  'service-cluster-ip-range': {
    kind: 'custom', parse: parseCidr, metavar: 'CIDR', default: DEFAULT_SERVICE_CLUSTER_IP_RANGE, section: SERVICES,
    help: `where ClusterIPs come from (default ${DEFAULT_SERVICE_CLUSTER_IP_RANGE})`,
  },
  'service-node-port-range': {
    kind: 'custom', parse: parsePortRange, metavar: 'MIN-MAX', default: DEFAULT_NODE_PORT_RANGE,
    help: `where node ports come from (default ${DEFAULT_NODE_PORT_RANGE})`,
  },
});

/** `reencrypt` takes the etcd flags and the encryption config, nothing else. */
const REENCRYPT_FLAGS = pickFlags(FLAGS, ['etcd-servers', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'encryption-provider-config']);

export const USAGE = `Usage: tugboat-apiserver --etcd-servers URL[,URL...] [--listen HOST:PORT] [--http-listen HOST:PORT]
       tugboat-apiserver reencrypt --etcd-servers URL[,URL...] [--etcd-cafile …] --encryption-provider-config FILE

The Tugboat API server: the gRPC Objects, Pods and Server services on etcd.
${formatFlagUsage(FLAGS, { column: 31, sectionColumns: { [SECURITY]: 41, [SERVICES]: 41 }, help: 'this text' })}
reencrypt rewrites every stored object of the encryption config's resources that was not
written by its first provider and key (the last step of a key rotation), prints one line per
resource (re-encrypted 3 of 5 secrets with aesgcm key "key2") and exits 0 when all are current.
`;

export type ParsedFlags =
  | { help: true }
  | { help: false; command: 'serve'; options: ApiServerOptions; workers: number }
  | { help: false; command: 'reencrypt'; reencrypt: ReencryptCommandOptions };

/** Throws a one-line Error (a FlagError, or the reason a file a flag names cannot be used). */
export function parseFlags(argv: readonly string[], readFile: FlagFileReader = readFlagFile): ParsedFlags {
  if (argv[0] === 'reencrypt') return parseReencryptFlags(argv.slice(1), readFile);
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed.help) return { help: true };
  const v = parsed.values;
  const { etcdServers, etcdTls } = etcdFlags(v, readFile);
  const encryptionConfig = encryptionConfigFlag(v, readFile);
  const watchCacheSize = v['watch-cache-size'];
  const watchCacheRetentionMs = v['watch-cache-retention'];
  return {
    help: false,
    command: 'serve',
    options: {
      etcdServers, listen: v.listen, httpListen: v['http-listen'], ...(watchCacheSize ? { watchCacheSize } : {}), watchCacheRetentionMs,
      listFromCache: v['list-from-cache'],
      eventTtlSeconds: Math.ceil(v['event-ttl'] / 1000),
      ...(etcdTls ? { etcdTls } : {}),
      ...(encryptionConfig ? { encryptionConfig } : {}),
      ...securityOptions(v, readFile),
      serviceRanges: { clusterIPs: v['service-cluster-ip-range'], nodePorts: v['service-node-port-range'] },
    },
    workers: v.workers === 0 ? availableParallelism() : v.workers,
  };
}

type EtcdFlagValues = FlagValues<typeof ETCD_FLAGS>;

/** --etcd-servers and Kubernetes' --etcd-cafile/--etcd-certfile/--etcd-keyfile (all three or none). */
function etcdFlags(v: EtcdFlagValues, readFile: FlagFileReader): { etcdServers: string[]; etcdTls: EtcdTls | undefined } {
  if (!v['etcd-servers']?.length) throw new FlagError('--etcd-servers is required (e.g. --etcd-servers https://127.0.0.1:2379)', 'invalid-value', '--etcd-servers');
  const etcdServers = v['etcd-servers'].map((u) => u.replace(/\/$/, ''));
  for (const url of etcdServers) {
    if (!/^https?:\/\/[^/]+$/.test(url)) throw new FlagError(`--etcd-servers: ${JSON.stringify(url)} is not an http(s)://HOST:PORT URL`, 'invalid-value', '--etcd-servers');
  }
  const tlsFlags = ['etcd-cafile', 'etcd-certfile', 'etcd-keyfile'] as const;
  const given = tlsFlags.filter((f) => v[f] !== undefined);
  if (given.length > 0 && given.length < 3) {
    const missing = tlsFlags.filter((f) => v[f] === undefined).map((f) => `--${f}`).join(' and ');
    throw new FlagError(`--etcd-cafile, --etcd-certfile and --etcd-keyfile go together: ${missing} missing`, 'invalid-combination');
  }
  const mismatch = etcdTlsMismatch(etcdServers, given.length === 3);
  if (mismatch) throw new FlagError(`--etcd-servers: ${mismatch}${given.length ? '' : ' (--etcd-cafile, --etcd-certfile, --etcd-keyfile)'}`, 'invalid-combination', '--etcd-servers');
  const [caFile, certFile, keyFile] = [v['etcd-cafile'], v['etcd-certfile'], v['etcd-keyfile']];
  const etcdTls = caFile !== undefined && certFile !== undefined && keyFile !== undefined ? loadEtcdTls({ caFile, certFile, keyFile }, readFile) : undefined;
  return { etcdServers, etcdTls };
}

function encryptionConfigFlag(v: EtcdFlagValues, readFile: FlagFileReader): EncryptionConfig | undefined {
  const path = v['encryption-provider-config'];
  return path === undefined ? undefined : parseEncryptionConfig(readFile(path, '--encryption-provider-config'), path);
}

/** `tugboat-apiserver reencrypt …`: etcd flags and the encryption config, nothing else. */
function parseReencryptFlags(argv: readonly string[], readFile: FlagFileReader): ParsedFlags {
  const parsed = parseCommandLine(argv, REENCRYPT_FLAGS);
  if (parsed.help) return { help: true };
  const { etcdServers, etcdTls } = etcdFlags(parsed.values, readFile);
  const encryptionConfig = encryptionConfigFlag(parsed.values, readFile);
  if (!encryptionConfig) throw new FlagError('reencrypt: --encryption-provider-config is required (the file the API servers run with)', 'invalid-value', '--encryption-provider-config');
  return { help: false, command: 'reencrypt', reencrypt: { etcdServers, ...(etcdTls ? { etcdTls } : {}), encryptionConfig } };
}

/** The security flags as ApiServerOptions: TLS (required), authentication, authorization, audit. */
function securityOptions(v: FlagValues<typeof FLAGS>, readFile: FlagFileReader): Pick<ApiServerOptions, 'tls' | 'tokenAuthFile' | 'serviceAccount' | 'authorizationModes' | 'kubeletClient' | 'auditLogPath'> {
  const file = (flag: 'client-ca-file' | 'service-account-signing-key-file' | 'kubelet-client-certificate' | 'kubelet-client-key' | 'kubelet-certificate-authority'): string | undefined => {
    const path = v[flag];
    return path === undefined ? undefined : readFile(path, `--${flag}`);
  };
  const certFile = v['tls-cert-file'];
  const keyFile = v['tls-private-key-file'];
  if (!certFile || !keyFile) throw new FlagError('--tls-cert-file and --tls-private-key-file are required: the API server serves TLS only', 'invalid-value');
  const clientCaPem = file('client-ca-file');
  const tls = { certPem: readFile(certFile, '--tls-cert-file'), keyPem: readFile(keyFile, '--tls-private-key-file'), ...(clientCaPem ? { clientCaPem } : {}) };

  const publicKeysPem = (v['service-account-key-file'] ?? []).map((p) => readFile(p, '--service-account-key-file'));
  const signingKeyPem = file('service-account-signing-key-file');
  const issuer = v['service-account-issuer'];
  const audiences = v['api-audiences'] ?? [];
  const serviceAccount = publicKeysPem.length || signingKeyPem
    ? { publicKeysPem, ...(signingKeyPem ? { signingKeyPem } : {}), ...(issuer ? { issuer } : {}), ...(audiences.length ? { audiences } : {}) }
    : undefined;

  const authorizationModes = authorizationModesFlag(v['authorization-mode']);

  const kc = (['kubelet-client-certificate', 'kubelet-client-key', 'kubelet-certificate-authority'] as const).filter((f) => v[f] !== undefined);
  if (kc.length > 0 && kc.length < 3) throw new FlagError('--kubelet-client-certificate, --kubelet-client-key and --kubelet-certificate-authority go together', 'invalid-combination');
  const kubeletClient = kc.length === 3
    ? { certPem: file('kubelet-client-certificate')!, keyPem: file('kubelet-client-key')!, caPem: file('kubelet-certificate-authority')! }
    : undefined;

  const tokenAuthFile = v['token-auth-file'];
  const auditLogPath = v['audit-log-path'];
  return {
    tls,
    ...(tokenAuthFile ? { tokenAuthFile } : {}),
    ...(serviceAccount ? { serviceAccount } : {}),
    ...(authorizationModes ? { authorizationModes } : {}),
    ...(kubeletClient ? { kubeletClient } : {}),
    ...(auditLogPath ? { auditLogPath } : {}),
  };
}

/** --authorization-mode: known modes, at least one; undefined when the flag is absent. */
function authorizationModesFlag(modes: readonly string[] | undefined): AuthorizationMode[] | undefined {
  if (modes === undefined) return undefined;
  const flag = '--authorization-mode';
  for (const m of modes) {
    if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) throw new FlagError(`${flag}: unknown mode ${JSON.stringify(m)} (one of ${AUTHORIZATION_MODES.join(', ')})`, 'invalid-value', flag);
  }
  if (modes.length === 0) throw new FlagError(`${flag}: name at least one mode`, 'invalid-value', flag);
  return modes as AuthorizationMode[];
}
