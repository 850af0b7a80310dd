// `tctl console`: the web console's address, and a sign-in link with a fresh read-only token.
// As Kubernetes Dashboard's docs do by hand, it makes a ServiceAccount bound to a ClusterRole
// that can only get, list and watch what the console shows, then requests a token for it
// (TokenRequest: signed, expiring, never stored). The token rides in the link's #fragment,
// which browsers never send to a server, so it is in no access log; the page moves it to the
// tab's sessionStorage and takes it out of the address bar.
import { SYSTEM_NAMESPACE, type KubeObject } from '@tugboat/api';
import { durationArg } from '../args.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';

export const CONSOLE_ACCOUNT = 'tugboat-console';
export const CONSOLE_ROLE = 'tugboat-console-viewer';

const READ = ['get', 'list', 'watch'];

/** The objects `tctl console` applies (idempotent: `unchanged` once they exist). Pure. */
export function consoleRbac(namespace: string): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: CONSOLE_ACCOUNT, namespace, labels: { 'app.kubernetes.io/name': 'tugboat-console' } } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: CONSOLE_ROLE, labels: { 'app.kubernetes.io/name': 'tugboat-console' } },
      rules: [
        { apiGroups: [''], resources: ['nodes', 'namespaces', 'pods', 'pods/log', 'events'], verbs: READ },
        { apiGroups: ['apps'], resources: ['deployments', 'replicasets'], verbs: READ },
        { apiGroups: ['events.k8s.io'], resources: ['events'], verbs: READ },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: CONSOLE_ROLE, labels: { 'app.kubernetes.io/name': 'tugboat-console' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CONSOLE_ROLE },
      subjects: [{ kind: 'ServiceAccount', name: CONSOLE_ACCOUNT, namespace }],
    },
  ];
}

/** The console's address on the API server's HTTPS port (the first address of a list). */
export function consoleUrl(server: string): string {
  const first = server.split(',')[0]!.trim().replace(/^https?:\/\//, '').replace(/\/+$/, '');
  return `https://${first}/console/`;
}

export const consoleCommand = defineCommand({
  name: 'console',
  summary: 'Print the web console\'s address and a sign-in link with a fresh read-only token',
  usage: 'tctl console [--duration 8h] [--url-only]',
  details: [
    'The console is served by the API server at https://HOST:PORT/console/. It reads the cluster through the',
    `API with a bearer token. This command (as a user who may manage RBAC, e.g. the cluster admin) makes`,
    `ServiceAccount ${SYSTEM_NAMESPACE}/${CONSOLE_ACCOUNT} bound to ClusterRole ${CONSOLE_ROLE} (get, list, watch of nodes,`,
    'namespaces, pods, pods/log, events, deployments, replicasets) and prints a link carrying a token for it.',
  ].join('\n'),
  flags: {
    duration: { type: 'string', value: 'DURATION', default: '8h', description: 'how long the token is valid (at least 10m)' },
    'url-only': { type: 'boolean', description: 'print the console\'s address only (no token, no RBAC objects)' },
  },
  async run(ctx, { flags, positionals }) {
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const url = consoleUrl(ctx.server);
    if (flags['url-only']) {
      ctx.out(`${url}\n`);
      return 0;
    }
    const ms = durationArg(flags.duration);
    if (ms % 1000 !== 0 || ms <= 0) throw new UsageError('--duration must be a positive number of seconds or more (e.g. 30m, 8h)');
    const client = ctx.client();
    for (const obj of consoleRbac(SYSTEM_NAMESPACE)) await client.apply(obj, { fieldManager: 'tctl-console' });
    const { token, expirationTimestamp } = await client.createToken(SYSTEM_NAMESPACE, CONSOLE_ACCOUNT, { expirationSeconds: ms / 1000 });
    ctx.out([
      `Tugboat console: ${url}`,
      `Open this sign-in link (a read-only token, valid until ${expirationTimestamp || flags.duration}; the part after # never leaves the browser):`,
      `  ${url}#token=${token}`,
      'The browser warns about the certificate: it is signed by the cluster\'s own CA; see the README ("Web console").',
      '',
    ].join('\n'));
    return 0;
  },
});
