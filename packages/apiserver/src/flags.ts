// Command-line flags of tugboat-apiserver (`--flag value` or `--flag=value`). Pure but for
// the files flags name, which are read through `readFile` (tests pass their own).
import { readFileSync } from 'node:fs';
import { DEFAULT_HTTP_LISTEN, DEFAULT_LISTEN, type ApiServerOptions, type AuthorizationMode } from './server.js';
import { parseHostPort } from '@tugboat/api';
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

export const USAGE = `Usage: tugboat-apiserver --etcd-servers URL[,URL...] [--listen HOST:PORT] [--http-listen HOST:PORT]
       tugboat-apiserver reencrypt --etcd-servers URL[,URL...] [--etcd-cafile …] --encryption-provider-config FILE

The Tugboat API server: the gRPC Objects, Pods and Server services on etcd.

  --etcd-servers URL[,URL...]  etcd client URLs (required), e.g. https://127.0.0.1:2379
  --etcd-cafile FILE           CA of etcd's serving certificate  } all three for https:// etcd
  --etcd-certfile FILE         client certificate shown to etcd  } URLs (mutual TLS), none
  --etcd-keyfile FILE          its key                           } for http://
  --encryption-provider-config FILE  EncryptionConfiguration (Kubernetes' format): which
                               resources are encrypted in etcd, with which providers and keys
  --listen HOST:PORT           gRPC address (default ${DEFAULT_LISTEN}; port 0 picks one)
  --http-listen HOST:PORT      /metrics, /healthz, /readyz (default ${DEFAULT_HTTP_LISTEN})
  --watch-cache-size N         changes kept per resource for resuming watchers (default 1000)

Security (the API server speaks TLS only, and every request must authenticate):
  --tls-cert-file FILE                   serving certificate (PEM; required)
  --tls-private-key-file FILE            its key (required)
  --client-ca-file FILE                  CA of client certificates: CN is the user, each O a group
  --token-auth-file FILE                 static bearer tokens, CSV: token,user,uid,"group1,group2"
  --service-account-key-file FILE[,…]    public keys that verify ServiceAccount tokens
  --service-account-signing-key-file FILE  private key that signs ServiceAccount tokens (TokenRequest)
  --service-account-issuer URL           the tokens' iss (default https://kubernetes.default.svc.cluster.local)
  --api-audiences A[,…]                  audiences tokens must name (default: the issuer)
  --authorization-mode M[,…]             in order, from Node, RBAC, AlwaysAllow (default Node,RBAC);
                                         system:masters is always allowed first
  --kubelet-client-certificate FILE      client certificate towards agents (logs, exec)
  --kubelet-client-key FILE              its key
  --kubelet-certificate-authority FILE   CA of the agents' serving certificates
  --audit-log-path FILE                  one JSON line per request (Kubernetes' audit Event)

Services:
  --service-cluster-ip-range CIDR        where ClusterIPs come from (default ${DEFAULT_SERVICE_CLUSTER_IP_RANGE})
  --service-node-port-range MIN-MAX      where node ports come from (default ${DEFAULT_NODE_PORT_RANGE})
  --help                       this text

reencrypt rewrites every stored object of the encryption config's resources that was not
written by its first provider and key (the last step of a key rotation), prints one line per
resource (re-encrypted 3 of 5 secrets with aesgcm key "key2") and exits 0 when all are current.
`;

export type ParsedFlags =
  | { help: true }
  | { help: false; command: 'serve'; options: ApiServerOptions }
  | { help: false; command: 'reencrypt'; reencrypt: ReencryptCommandOptions };

/** Throws an Error with a one-line message for a bad flag. */
export function parseFlags(argv: readonly string[], readFile: FlagFileReader = readFlagFile): ParsedFlags {
  if (argv[0] === 'reencrypt') return parseReencryptFlags(argv.slice(1), readFile);
  const values = new Map<string, string>();
  const known = new Set([
    'etcd-servers', 'listen', 'http-listen', 'watch-cache-size',
    'tls-cert-file', 'tls-private-key-file', 'client-ca-file', 'token-auth-file', 'service-account-key-file',
    'service-account-signing-key-file', 'service-account-issuer', 'api-audiences', 'authorization-mode',
    'kubelet-client-certificate', 'kubelet-client-key', 'kubelet-certificate-authority', 'audit-log-path',
    'service-cluster-ip-range', 'service-node-port-range',
    ...ETCD_FLAGS, 'encryption-provider-config',
  ]);
  if (readFlagValues(argv, known, values) === 'help') return { help: true };
  const { etcdServers, etcdTls } = etcdFlags(values, readFile);
  const encryptionConfig = encryptionConfigFlag(values, readFile);
  const listen = values.get('listen') ?? DEFAULT_LISTEN;
  const httpListen = values.get('http-listen') ?? DEFAULT_HTTP_LISTEN;
  parseHostPort(listen, '--listen');
  parseHostPort(httpListen, '--http-listen');
  const cacheText = values.get('watch-cache-size');
  let watchCacheSize: number | undefined;
  if (cacheText !== undefined) {
    watchCacheSize = Number(cacheText);
    if (!Number.isInteger(watchCacheSize) || watchCacheSize < 1) throw new Error(`--watch-cache-size: expected a positive integer, got ${JSON.stringify(cacheText)}`);
  }
  return {
    help: false,
    command: 'serve',
    options: {
      etcdServers, listen, httpListen, ...(watchCacheSize ? { watchCacheSize } : {}),
      ...(etcdTls ? { etcdTls } : {}),
      ...(encryptionConfig ? { encryptionConfig } : {}),
      ...securityOptions(values, readFile),
      serviceRanges: {
        clusterIPs: parseCidr(values.get('service-cluster-ip-range') ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE, '--service-cluster-ip-range'),
        nodePorts: parsePortRange(values.get('service-node-port-range') ?? DEFAULT_NODE_PORT_RANGE, '--service-node-port-range'),
      },
    },
  };
}

/** `--flag value` / `--flag=value` into `values`; 'help' when --help is among them. */
function readFlagValues(argv: readonly string[], known: ReadonlySet<string>, values: Map<string, string>): 'help' | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1]!;
    if (!known.has(name)) throw new Error(`unknown flag --${name}`);
    let value = m[2];
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`flag --${name} needs a value`);
    }
    values.set(name, value);
  }
  return undefined;
}

const ETCD_FLAGS = ['etcd-servers', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile'] as const;

/** --etcd-servers and Kubernetes' --etcd-cafile/--etcd-certfile/--etcd-keyfile (all three or none). */
function etcdFlags(values: ReadonlyMap<string, string>, readFile: FlagFileReader): { etcdServers: string[]; etcdTls: EtcdTls | undefined } {
  const etcd = values.get('etcd-servers');
  if (!etcd) throw new Error('--etcd-servers is required (e.g. --etcd-servers https://127.0.0.1:2379)');
  const etcdServers = etcd.split(',').map((s) => s.trim()).filter(Boolean).map((u) => u.replace(/\/$/, ''));
  for (const url of etcdServers) {
    if (!/^https?:\/\/[^/]+$/.test(url)) throw new Error(`--etcd-servers: ${JSON.stringify(url)} is not an http(s)://HOST:PORT URL`);
  }
  const given = ETCD_FLAGS.slice(1).filter((f) => values.has(f));
  if (given.length > 0 && given.length < 3) {
    const missing = ETCD_FLAGS.slice(1).filter((f) => !values.has(f)).map((f) => `--${f}`).join(' and ');
    throw new Error(`--etcd-cafile, --etcd-certfile and --etcd-keyfile go together: ${missing} missing`);
  }
  const mismatch = etcdTlsMismatch(etcdServers, given.length === 3);
  if (mismatch) throw new Error(`--etcd-servers: ${mismatch}${given.length ? '' : ' (--etcd-cafile, --etcd-certfile, --etcd-keyfile)'}`);
  const etcdTls = given.length === 3
    ? loadEtcdTls({ caFile: values.get('etcd-cafile')!, certFile: values.get('etcd-certfile')!, keyFile: values.get('etcd-keyfile')! }, readFile)
    : undefined;
  return { etcdServers, etcdTls };
}

function encryptionConfigFlag(values: ReadonlyMap<string, string>, readFile: FlagFileReader): EncryptionConfig | undefined {
  const path = values.get('encryption-provider-config');
  return path === undefined ? undefined : parseEncryptionConfig(readFile(path, '--encryption-provider-config'), path);
}

/** `tugboat-apiserver reencrypt …`: etcd flags and the encryption config, nothing else. */
function parseReencryptFlags(argv: readonly string[], readFile: FlagFileReader): ParsedFlags {
  const values = new Map<string, string>();
  if (readFlagValues(argv, new Set([...ETCD_FLAGS, 'encryption-provider-config']), values) === 'help') return { help: true };
  const { etcdServers, etcdTls } = etcdFlags(values, readFile);
  const encryptionConfig = encryptionConfigFlag(values, readFile);
  if (!encryptionConfig) throw new Error('reencrypt: --encryption-provider-config is required (the file the API servers run with)');
  return { help: false, command: 'reencrypt', reencrypt: { etcdServers, ...(etcdTls ? { etcdTls } : {}), encryptionConfig } };
}

const list = (v: string | undefined): string[] => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** The security flags as ApiServerOptions: TLS (required), authentication, authorization, audit. */
function securityOptions(values: ReadonlyMap<string, string>, readFile: FlagFileReader): Pick<ApiServerOptions, 'tls' | 'tokenAuthFile' | 'serviceAccount' | 'authorizationModes' | 'kubeletClient' | 'auditLogPath'> {
  const file = (flag: string): string | undefined => {
    const path = values.get(flag);
    return path === undefined ? undefined : readFile(path, `--${flag}`);
  };
  const certFile = values.get('tls-cert-file');
  const keyFile = values.get('tls-private-key-file');
  if (!certFile || !keyFile) throw new Error('--tls-cert-file and --tls-private-key-file are required: the API server serves TLS only');
  const clientCaPem = file('client-ca-file');
  const tls = { certPem: readFile(certFile, '--tls-cert-file'), keyPem: readFile(keyFile, '--tls-private-key-file'), ...(clientCaPem ? { clientCaPem } : {}) };

  const publicKeysPem = list(values.get('service-account-key-file')).map((p) => readFile(p, '--service-account-key-file'));
  const signingKeyPem = file('service-account-signing-key-file');
  const issuer = values.get('service-account-issuer');
  const audiences = list(values.get('api-audiences'));
  const serviceAccount = publicKeysPem.length || signingKeyPem
    ? { publicKeysPem, ...(signingKeyPem ? { signingKeyPem } : {}), ...(issuer ? { issuer } : {}), ...(audiences.length ? { audiences } : {}) }
    : undefined;

  let authorizationModes: AuthorizationMode[] | undefined;
  if (values.has('authorization-mode')) {
    authorizationModes = [];
    for (const m of list(values.get('authorization-mode'))) {
      if (!(AUTHORIZATION_MODES as readonly string[]).includes(m)) throw new Error(`--authorization-mode: unknown mode ${JSON.stringify(m)} (one of ${AUTHORIZATION_MODES.join(', ')})`);
      authorizationModes.push(m as AuthorizationMode);
    }
    if (authorizationModes.length === 0) throw new Error('--authorization-mode: name at least one mode');
  }

  const kc = ['kubelet-client-certificate', 'kubelet-client-key', 'kubelet-certificate-authority'].filter((f) => values.has(f));
  if (kc.length > 0 && kc.length < 3) throw new Error('--kubelet-client-certificate, --kubelet-client-key and --kubelet-certificate-authority go together');
  const kubeletClient = kc.length === 3
    ? { certPem: file('kubelet-client-certificate')!, keyPem: file('kubelet-client-key')!, caPem: file('kubelet-certificate-authority')! }
    : undefined;

  const tokenAuthFile = values.get('token-auth-file');
  const auditLogPath = values.get('audit-log-path');
  return {
    tls,
    ...(tokenAuthFile ? { tokenAuthFile } : {}),
    ...(serviceAccount ? { serviceAccount } : {}),
    ...(authorizationModes ? { authorizationModes } : {}),
    ...(kubeletClient ? { kubeletClient } : {}),
    ...(auditLogPath ? { auditLogPath } : {}),
  };
}
