// `tctl config view | set KEY VALUE`: the effective configuration and where each part
// comes from (flag, $TCTL_SERVER, a kubeconfig, $TUGBOAT_HOME/config.json), and who the
// credentials name (a client certificate's CN and O, a token).
import { readFileSync } from 'node:fs';
import { defineCommand, defineGroup } from '../command.js';
import { configPath, readConfig, resolveServer, writeConfig, type TctlConfig } from '../config.js';
import type { KubeconfigSource, ResolvedConnection, ServerSource } from '../client-config.js';
import { UsageError, errorLine } from '../errors.js';
import { parseOutput, toJson, toYaml } from '../printers/output.js';

const KUBECONFIG_FROM: Record<KubeconfigSource, string> = { flag: '--kubeconfig', env: '$TUGBOAT_KUBECONFIG', config: 'config file', 'in-cluster': 'in-cluster (the pod\'s ServiceAccount)' };
const SERVER_FROM: Record<ServerSource, string> = { flag: '--server', env: '$TCTL_SERVER', kubeconfig: 'kubeconfig', config: 'config file', default: 'default' };

/** The subject of a ServiceAccount JWT, read without checking it (the server does that). */
function tokenSubject(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && typeof (claims as { sub?: unknown }).sub === 'string' ? (claims as { sub: string }).sub : undefined;
  } catch {
    return undefined;
  }
}

/** Who the credentials say we are, as far as the client can tell (`tctl auth whoami` asks the server). */
async function userOf(conn: ResolvedConnection): Promise<Record<string, unknown>> {
  const c = conn.credentials;
  switch (conn.authMethod) {
    case 'client certificate': {
      const { describeCertificate } = await import('@tugboat/api/pki');
      const cert = describeCertificate(c.tls!.cert!);
      return { user: cert.commonName, ...(cert.organizations.length ? { groups: [...cert.organizations] } : {}), authentication: 'client certificate' };
    }
    case 'token':
      return { user: tokenSubject(c.token!) ?? 'token', authentication: 'token' };
    case 'token file': {
      let token = '';
      try { token = readFileSync(c.tokenFile!, 'utf8').trim(); } catch { /* shown as "token" */ }
      return { user: tokenSubject(token) ?? 'token', authentication: `token file ${c.tokenFile!}` };
    }
    case 'none':
      return { user: 'none', authentication: 'none' };
  }
}

const view = defineCommand({
  name: 'view',
  summary: 'Show the configuration tctl uses',
  usage: 'tctl config view [-o yaml|json] [--raw]',
  details: 'With --raw (kubectl\'s flag): prints the kubeconfig tctl uses, credentials included, ready for kubectl and other Kubernetes clients:\n  tctl config view --raw > ~/.kube/config\nA local cluster\'s is also at $TUGBOAT_HOME/kubeconfig.',
  flags: {
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml (default)|json' },
    raw: { type: 'boolean', description: 'print the kubeconfig itself (credentials included), as kubectl config view --raw' },
  },
  async run(ctx, { flags }) {
    if (flags.raw) {
      const conn = ctx.connection();
      if (!conn.kubeconfig) throw new UsageError('tctl uses no kubeconfig file here (in-cluster, or --server with --token): nothing to print');
      ctx.out(readFileSync(conn.kubeconfig.path, 'utf8'));
      return 0;
    }
    const output = parseOutput(flags.output ?? 'yaml', ['yaml', 'json']);
    const file = readConfig(ctx.env);
    let conn: ResolvedConnection | undefined;
    let problem: string | undefined;
    try {
      conn = ctx.connection();
    } catch (e) {
      // What is wrong with the configuration is what a user looks here for.
      problem = errorLine(e);
    }
    const fallback = conn ? undefined : resolveServer(ctx.options.server, ctx.env);
    const imp = conn?.credentials.impersonate;
    const doc = {
      configFile: configPath(ctx.env),
      server: conn?.server ?? fallback!.server,
      serverFrom: conn ? SERVER_FROM[conn.serverSource] : SERVER_FROM[fallback!.source],
      namespace: problem ? (ctx.options.namespace || file.namespace || 'default') : ctx.namespace,
      ...(file.httpServer ? { httpServer: file.httpServer } : {}),
      kubeconfig: conn?.kubeconfig?.path ?? ctx.options.kubeconfig ?? ctx.env['TUGBOAT_KUBECONFIG'] ?? file.kubeconfig ?? 'none',
      ...(conn?.kubeconfig ? { kubeconfigFrom: KUBECONFIG_FROM[conn.kubeconfig.source] } : {}),
      ...(conn ? await userOf(conn) : {}),
      ...(imp ? { impersonate: { user: imp.user, ...(imp.groups?.length ? { groups: [...imp.groups] } : {}), ...(imp.uid ? { uid: imp.uid } : {}) } } : {}),
      ...(conn ? { certificateAuthority: conn.caSource ?? 'public roots (none given)' } : {}),
      ...(problem ? { error: problem } : {}),
    };
    ctx.out(output.kind === 'json' ? toJson(doc) : toYaml(doc));
    return 0;
  },
});

const KEYS = ['server', 'namespace'] as const;

const set = defineCommand({
  name: 'set',
  summary: 'Set a value in $TUGBOAT_HOME/config.json (server, namespace)',
  usage: 'tctl config set server|namespace VALUE',
  flags: {},
  async run(ctx, { positionals }) {
    const [key, value, ...rest] = positionals;
    if (!key || value === undefined || rest.length) throw new UsageError('usage: tctl config set server|namespace VALUE');
    if (!(KEYS as readonly string[]).includes(key)) throw new UsageError(`unknown key "${key}": one of ${KEYS.join(', ')}`);
    const config: TctlConfig = { ...readConfig(ctx.env), [key]: value };
    writeConfig(ctx.env, config);
    ctx.out(`${key} set to "${value}" in ${configPath(ctx.env)}\n`);
  },
});

export const configCommand = defineGroup('config', 'Show or change tctl\'s configuration', [view, set]);
