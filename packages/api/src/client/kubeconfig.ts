// Client configuration files in Kubernetes' kubeconfig format, which every component and
// tctl read (`--kubeconfig FILE`), so one format carries the server, the CA and the user's
// credentials; plus Kubernetes' in-cluster configuration for clients that run in a pod.
//
//   clusters[].cluster: server (https://HOST:PORT), certificate-authority(-data), tls-server-name,
//                       extensions: [{name: tugboat.dev/servers, extension: {servers: [URL…]}}]
//   users[].user:       client-certificate(-data), client-key(-data), token, tokenFile
//   contexts[].context: cluster, user, namespace;  current-context
//
// Relative file paths are relative to the kubeconfig's own directory, as kubectl has them.
//
// Several API servers: kubectl knows one `server` per cluster, so that stays the first and a
// named cluster extension (which kubectl keeps and ignores) lists them all; Tugboat's clients
// use `server`, then the others in the extension's order, and fail over between them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { IN_CLUSTER_SERVER_NAME, SERVICE_ACCOUNT_DIR } from '../auth/user.js';
import type { Credentials } from './credentials.js';
import { splitServers } from './failover.js';

export interface ClientConfig {
  /** HOST:PORT of the API server, or several comma-separated (`A,B`), as TugboatClient takes them. */
  readonly server: string;
  readonly credentials: Credentials;
  /** The context's namespace, if it names one. */
  readonly namespace?: string;
  /** Where it came from (a file, or "in-cluster"), for messages. */
  readonly source: string;
}

export class KubeconfigError extends Error {
  override readonly name = 'KubeconfigError';
}

type Doc = Record<string, unknown>;

function isObject(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `https://HOST:PORT` (or HOST:PORT) → HOST:PORT; the port defaults to 443 as for any https URL. */
export function serverAddress(url: string, where: string): string {
  const m = /^(?:(https?):\/\/)?(\[[^\]]+\]|[^:/[\]]+)(?::(\d+))?\/?$/.exec(url.trim());
  if (!m) throw new KubeconfigError(`${where}: ${JSON.stringify(url)} is not an https://HOST:PORT address`);
  if (m[1] === 'http') throw new KubeconfigError(`${where}: ${JSON.stringify(url)}: the API server speaks TLS only; use https://`);
  const port = m[3] ? Number(m[3]) : 443;
  if (port < 1 || port > 65535) throw new KubeconfigError(`${where}: ${JSON.stringify(url)} has no valid port`);
  return `${m[2]}:${port}`;
}

/** The kubeconfig cluster extension that lists every API server. */
export const SERVERS_EXTENSION = 'tugboat.dev/servers';

/** `A,B` (each https://HOST:PORT or HOST:PORT) → `HOST:PORT,HOST:PORT`, each checked as serverAddress does. */
export function serverAddresses(list: string, where: string): string {
  const parts = list.split(',').map((p) => p.trim());
  if (parts.some((p) => !p)) throw new KubeconfigError(`${where}: ${JSON.stringify(list)}: an empty address in the list`);
  return splitServers(parts.map((p) => serverAddress(p, where)).join(',')).join(',');
}

/** A cluster entry's extra servers (the tugboat.dev/servers extension), as HOST:PORT; [] without it. */
function extensionServers(cluster: Doc, path: string, file: string): string[] {
  const exts = cluster['extensions'];
  if (exts === undefined) return [];
  if (!Array.isArray(exts)) throw new KubeconfigError(`${file}: ${path}.extensions: expected a list`);
  const i = exts.findIndex((x) => isObject(x) && x['name'] === SERVERS_EXTENSION);
  if (i < 0) return [];
  const ext = (exts[i] as Doc)['extension'];
  const where = `${file}: ${path}.extensions[${i}].extension.servers`;
  const servers = isObject(ext) ? ext['servers'] : undefined;
  if (!Array.isArray(servers) || servers.some((x) => typeof x !== 'string')) throw new KubeconfigError(`${where}: expected a list of https://HOST:PORT addresses`);
  return (servers as string[]).map((x, j) => serverAddress(x, `${where}[${j}]`));
}

function named(doc: Doc, list: string, name: string, file: string): { item: Doc; path: string } {
  const items = doc[list];
  if (!Array.isArray(items)) throw new KubeconfigError(`${file}: ${list}: expected a list`);
  const i = items.findIndex((x) => isObject(x) && x['name'] === name);
  if (i < 0) throw new KubeconfigError(`${file}: ${list}: no entry named ${JSON.stringify(name)}`);
  const entry = items[i] as Doc;
  const key = list.replace(/s$/, '');
  const item = entry[key];
  if (!isObject(item)) throw new KubeconfigError(`${file}: ${list}[${i}].${key}: expected an object`);
  return { item, path: `${list}[${i}].${key}` };
}

/** A PEM given inline (base64 `-data`) or as a file path; undefined when neither is set. */
function pem(item: Doc, field: string, path: string, baseDir: string, file: string): string | undefined {
  const data = item[`${field}-data`];
  if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
  const ref = item[field];
  if (typeof ref !== 'string' || !ref) return undefined;
  const full = isAbsolute(ref) ? ref : join(baseDir, ref);
  try {
    return readFileSync(full, 'utf8');
  } catch (e) {
    throw new KubeconfigError(`${file}: ${path}.${field}: cannot read ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function str(item: Doc, field: string): string | undefined {
  const v = item[field];
  return typeof v === 'string' && v ? v : undefined;
}

/** Parses a kubeconfig's text; `file` names it in errors, `baseDir` anchors relative paths. */
export function parseKubeconfig(text: string, file: string, baseDir: string, context?: string): ClientConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new KubeconfigError(`${file}: not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!isObject(doc)) throw new KubeconfigError(`${file}: expected a kubeconfig (a YAML mapping)`);
  const ctxName = context ?? str(doc, 'current-context');
  if (!ctxName) throw new KubeconfigError(`${file}: current-context is not set (or pass a context)`);
  const ctx = named(doc, 'contexts', ctxName, file).item;
  const clusterName = str(ctx, 'cluster');
  const userName = str(ctx, 'user');
  if (!clusterName) throw new KubeconfigError(`${file}: context ${JSON.stringify(ctxName)} names no cluster`);
  const cluster = named(doc, 'clusters', clusterName, file);
  const server = str(cluster.item, 'server');
  if (!server) throw new KubeconfigError(`${file}: ${cluster.path}.server: Required value`);
  if (cluster.item['insecure-skip-tls-verify'] === true) throw new KubeconfigError(`${file}: ${cluster.path}.insecure-skip-tls-verify: not supported: Tugboat always checks the server's certificate`);
  const ca = pem(cluster.item, 'certificate-authority', cluster.path, baseDir, file);
  if (!ca) throw new KubeconfigError(`${file}: ${cluster.path}.certificate-authority-data: Required value (the cluster CA that signed the API server's certificate)`);
  const serverName = str(cluster.item, 'tls-server-name');

  let cert: string | undefined;
  let key: string | undefined;
  let token: string | undefined;
  let tokenFile: string | undefined;
  if (userName) {
    const user = named(doc, 'users', userName, file);
    cert = pem(user.item, 'client-certificate', user.path, baseDir, file);
    key = pem(user.item, 'client-key', user.path, baseDir, file);
    if (!!cert !== !!key) throw new KubeconfigError(`${file}: ${user.path}: client-certificate and client-key go together`);
    token = str(user.item, 'token');
    const tf = str(user.item, 'tokenFile');
    if (tf) tokenFile = isAbsolute(tf) ? tf : join(baseDir, tf);
  }
  const namespace = str(ctx, 'namespace');
  // `server` first (what kubectl uses), then the extension's others in their order.
  const servers = splitServers([serverAddress(server, `${file}: ${cluster.path}.server`), ...extensionServers(cluster.item, cluster.path, file)].join(','));
  return {
    server: servers.join(','),
    credentials: {
      tls: { ca, ...(cert && key ? { cert, key } : {}), ...(serverName ? { serverName } : {}) },
      ...(token ? { token } : {}),
      ...(tokenFile ? { tokenFile } : {}),
    },
    ...(namespace ? { namespace } : {}),
    source: file,
  };
}

export function loadKubeconfig(path: string, context?: string): ClientConfig {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (e) {
    throw new KubeconfigError(`cannot read kubeconfig ${full}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseKubeconfig(text, full, dirname(full), context);
}

/**
 * Kubernetes' in-cluster configuration: inside a pod, KUBERNETES_SERVICE_HOST/PORT and the
 * projected ServiceAccount token, CA and namespace. Undefined outside a pod.
 */
export function inClusterConfig(env: Record<string, string | undefined>, dir = SERVICE_ACCOUNT_DIR): ClientConfig | undefined {
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  const tokenFile = join(dir, 'token');
  if (!host || !port || !existsSync(tokenFile)) return undefined;
  let ca: string;
  try {
    ca = readFileSync(join(dir, 'ca.crt'), 'utf8');
  } catch {
    throw new KubeconfigError(`in-cluster configuration: cannot read ${join(dir, 'ca.crt')}`);
  }
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim() || undefined;
  } catch { /* the namespace file is optional */ }
  const h = host.includes(':') ? `[${host}]` : host;
  return {
    server: `${h}:${port}`,
    // The API server's certificate names the in-cluster service, not the address a pod dials.
    credentials: { tls: { ca, serverName: IN_CLUSTER_SERVER_NAME }, tokenFile },
    ...(namespace ? { namespace } : {}),
    source: 'in-cluster',
  };
}

export interface KubeconfigSpec {
  /** HOST:PORT, or several comma-separated: the first is `server`, all are in the tugboat.dev/servers extension. */
  readonly server: string;
  readonly caPem: string;
  readonly user: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly token?: string;
  readonly clusterName?: string;
  readonly namespace?: string;
  readonly serverName?: string;
}

/** A self-contained kubeconfig (everything inline), as `tctl cluster up` writes them. */
export function renderKubeconfig(spec: KubeconfigSpec): string {
  const clusterName = spec.clusterName ?? 'tugboat';
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const user: Doc = {};
  if (spec.certPem) user['client-certificate-data'] = b64(spec.certPem);
  if (spec.keyPem) user['client-key-data'] = b64(spec.keyPem);
  if (spec.token) user['token'] = spec.token;
  const context = `${spec.user}@${clusterName}`;
  const servers = splitServers(spec.server);
  const extensions = servers.length > 1 ? { extensions: [{ name: SERVERS_EXTENSION, extension: { servers: servers.map((a) => `https://${a}`) } }] } : {};
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: clusterName, cluster: { server: `https://${servers[0] ?? spec.server}`, 'certificate-authority-data': b64(spec.caPem), ...(spec.serverName ? { 'tls-server-name': spec.serverName } : {}), ...extensions } }],
    users: [{ name: spec.user, user }],
    contexts: [{ name: context, context: { cluster: clusterName, user: spec.user, ...(spec.namespace ? { namespace: spec.namespace } : {}) } }],
    'current-context': context,
  };
  return toYaml(doc, { lineWidth: 0 });
}

/**
 * A component's client configuration (scheduler, controllers, agent): --kubeconfig, else the
 * in-cluster configuration of a pod; --server, when given, overrides the address (or the
 * comma-separated addresses: `--server A,B`). There is
 * no unauthenticated fallback: the API server would refuse it.
 */
export function componentClientConfig(opts: { kubeconfig?: string | undefined; server?: string | undefined; env?: Record<string, string | undefined> }): ClientConfig {
  const base = opts.kubeconfig ? loadKubeconfig(opts.kubeconfig) : inClusterConfig(opts.env ?? process.env);
  if (!base) throw new KubeconfigError('--kubeconfig is required: the API server accepts only TLS clients that authenticate');
  return opts.server ? { ...base, server: serverAddresses(opts.server, '--server') } : base;
}
