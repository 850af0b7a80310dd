// Who tctl talks to and as whom, kubectl's way: a kubeconfig (--kubeconfig, else
// $TUGBOAT_KUBECONFIG, else the one `tctl cluster up` recorded in config.json, else the
// in-cluster configuration of a pod), then flags that override parts of it:
//
//   --server                 the address (order: --server, $TCTL_SERVER, an explicit
//                            kubeconfig's, config.json's, config.json's kubeconfig's / in-cluster,
//                            127.0.0.1:6443)
//   --certificate-authority  the CA that signs the API server's certificate
//   --client-certificate/--client-key   the client certificate
//   --token                  a bearer token, which replaces the user's credentials (no client
//                            certificate then, so the token's identity is the one used)
//   --as/--as-group/--as-uid impersonation
//
// Reading files is all it does; nothing connects here.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  SERVICE_ACCOUNT_DIR, inClusterConfig, loadKubeconfig,
  type ClientConfig, type Credentials, type Impersonation, type TlsClientConfig,
} from '@tugboat/api';
import { DEFAULT_SERVER, readConfig, stripScheme, type Env } from './config.js';
import { CliError, UsageError } from './errors.js';

export interface ConnectionFlags {
  server?: string | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  token?: string | undefined;
  as?: string | undefined;
  asGroups?: readonly string[] | undefined;
  asUid?: string | undefined;
  certificateAuthority?: string | undefined;
  clientCertificate?: string | undefined;
  clientKey?: string | undefined;
}

export type KubeconfigSource = 'flag' | 'env' | 'config' | 'in-cluster';
export type ServerSource = 'flag' | 'env' | 'kubeconfig' | 'config' | 'default';
/** How the user proves who they are: what `config view` shows and error messages name. */
export type AuthMethod = 'client certificate' | 'token' | 'token file' | 'none';

export interface ResolvedConnection {
  /** HOST:PORT. */
  readonly server: string;
  readonly serverSource: ServerSource;
  readonly credentials: Credentials;
  /** The kubeconfig used (a file, or the serviceaccount directory when in-cluster). */
  readonly kubeconfig?: { readonly path: string; readonly source: KubeconfigSource };
  /** The kubeconfig context's namespace (a pod's own namespace in-cluster). */
  readonly namespace?: string;
  /** Where the CA came from, for messages; undefined: Node's public roots (nothing was given). */
  readonly caSource?: string;
  readonly authMethod: AuthMethod;
}

export interface ResolveOptions {
  /** Where a pod's ServiceAccount files are (a temp dir in tests). */
  readonly serviceAccountDir?: string;
  /** What relative file names are relative to (the process's directory by default). */
  readonly cwd?: string;
}

/** Where the kubeconfig comes from, if anywhere; undefined when none applies. */
function kubeconfigPath(flags: ConnectionFlags, env: Env, cwd: string): { path: string; source: Exclude<KubeconfigSource, 'in-cluster'> } | undefined {
  if (flags.kubeconfig) return { path: resolve(cwd, flags.kubeconfig), source: 'flag' };
  const fromEnv = env['TUGBOAT_KUBECONFIG'];
  if (fromEnv) return { path: resolve(cwd, fromEnv), source: 'env' };
  const fromConfig = readConfig(env).kubeconfig;
  // Gone with `cluster down --purge` (config.json stays): as if there were none, so the user
  // hears that no API server answers rather than about a missing file they never named.
  if (fromConfig && existsSync(fromConfig)) return { path: fromConfig, source: 'config' };
  return undefined;
}

/** kubectl reads an empty file (`--kubeconfig /dev/null`) as an empty configuration: flags alone then. */
function loadFile(path: string, context: string | undefined): ClientConfig | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // loadKubeconfig words the error (the path and the errno).
    return loadKubeconfig(path, context);
  }
  if (!text.trim()) {
    if (context) throw new CliError(`context was not found for specified context: ${context}`);
    return undefined;
  }
  return loadKubeconfig(path, context);
}

function readPem(path: string, what: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, path), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`unable to read ${what} ${path}: ${code === 'ENOENT' ? 'no such file or directory' : code ?? (e as Error).message}`);
  }
}

/** Node's bundled public roots: TLS is never skipped, even when no CA was given. */
const PUBLIC_ROOTS = rootCertificates.join('\n');

export function resolveConnection(flags: ConnectionFlags, env: Env, opts: ResolveOptions = {}): ResolvedConnection {
  const cwd = opts.cwd ?? process.cwd();
  const file = kubeconfigPath(flags, env, cwd);
  let base: ClientConfig | undefined;
  let kubeconfig: ResolvedConnection['kubeconfig'];
  if (file) {
    base = loadFile(file.path, flags.context);
    kubeconfig = { path: file.path, source: file.source };
  } else {
    base = inClusterConfig(env, opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR);
    if (base) kubeconfig = { path: opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, source: 'in-cluster' };
    if (flags.context) throw new CliError(`context was not found for specified context: ${flags.context}`);
  }

  // The address keeps tctl's order: an explicit kubeconfig (flag, env) outranks config.json's
  // server; config.json's own kubeconfig is its twin, so config.json's server comes first.
  const explicit = file?.source === 'flag' || file?.source === 'env';
  const config = readConfig(env);
  let server: string;
  let serverSource: ServerSource;
  if (flags.server) { server = stripScheme(flags.server); serverSource = 'flag'; }
  else if (env['TCTL_SERVER']) { server = stripScheme(env['TCTL_SERVER']); serverSource = 'env'; }
  else if (explicit && base) { server = base.server; serverSource = 'kubeconfig'; }
  else if (config.server) { server = stripScheme(config.server); serverSource = 'config'; }
  else if (base) { server = base.server; serverSource = 'kubeconfig'; }
  else { server = DEFAULT_SERVER; serverSource = 'default'; }

  const fromBase = base?.credentials;
  let tls: { -readonly [K in keyof TlsClientConfig]: TlsClientConfig[K] } | undefined = fromBase?.tls ? { ...fromBase.tls } : undefined;
  let caSource = tls ? (base?.source === 'in-cluster' ? `${kubeconfig?.path}/ca.crt` : base?.source) : undefined;
  let token = fromBase?.token;
  let tokenFile = fromBase?.tokenFile;
  if (flags.token) {
    // The token is who we are: the kubeconfig's certificate would be authenticated first.
    token = flags.token;
    tokenFile = undefined;
    if (tls) { delete tls.cert; delete tls.key; }
  }
  if (flags.certificateAuthority) {
    tls = { ...tls, ca: readPem(flags.certificateAuthority, 'certificate-authority', cwd) };
    caSource = resolve(cwd, flags.certificateAuthority);
  }
  if (flags.clientCertificate) tls = { ca: PUBLIC_ROOTS, ...tls, cert: readPem(flags.clientCertificate, 'client-certificate', cwd) };
  if (flags.clientKey) tls = { ca: PUBLIC_ROOTS, ...tls, key: readPem(flags.clientKey, 'client-key', cwd) };
  if (tls && !!tls.cert !== !!tls.key) {
    throw new CliError(tls.cert
      ? 'client-key must be specified with client-certificate to use the clientCert authentication method (--client-key, or the kubeconfig\'s client-key-data)'
      : 'client-certificate must be specified with client-key to use the clientCert authentication method (--client-certificate, or the kubeconfig\'s client-certificate-data)');
  }
  // No CA anywhere: still TLS, against the public roots (kubectl uses the system's), so a
  // token is never sent in the clear; a cluster CA then fails verification with a clear line.
  tls ??= { ca: PUBLIC_ROOTS };

  const groups = flags.asGroups ?? [];
  let impersonate: Impersonation | undefined;
  if (flags.as) impersonate = { user: flags.as, ...(groups.length ? { groups: [...groups] } : {}), ...(flags.asUid ? { uid: flags.asUid } : {}) };
  else if (groups.length || flags.asUid) throw new UsageError('requesting uid or groups without impersonating a user: --as-group and --as-uid need --as USER');

  const credentials: Credentials = {
    tls,
    ...(token ? { token } : {}),
    ...(tokenFile ? { tokenFile } : {}),
    ...(impersonate ? { impersonate } : {}),
  };
  const authMethod: AuthMethod = tls.cert ? 'client certificate' : token ? 'token' : tokenFile ? 'token file' : 'none';
  return {
    server,
    serverSource,
    credentials,
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(base?.namespace ? { namespace: base.namespace } : {}),
    ...(caSource ? { caSource } : {}),
    authMethod,
  };
}
