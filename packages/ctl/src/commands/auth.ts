// `tctl auth can-i` and `tctl auth whoami`, as kubectl has them: questions the API server
// answers (a SelfSubjectAccessReview, a SelfSubjectReview) and never stores. Both pair with
// the global --as/--as-group: the server answers for the impersonated user.
import { lookupKind, type KubeObject } from '@tugboat/api';
import { defineCommand, defineGroup } from '../command.js';
import { SilentExit, UsageError } from '../errors.js';
import { parseOutput, toJson, toYaml } from '../printers/output.js';
import { renderTable } from '../printers/table.js';

/** kubectl's lists: other verbs are sent all the same, with a warning. */
const RESOURCE_VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', 'use', 'bind', 'impersonate', '*', 'approve', 'sign', 'escalate', 'attest']);
const NON_RESOURCE_VERBS = new Set(['get', 'put', 'post', 'head', 'options', 'delete', 'patch', '*']);
/** Resources the server knows that no kind stands for (the impersonate verb's). */
const NON_STANDARD_RESOURCES = new Set(['users', 'groups', 'uids', 'userextras']);

export interface ResourceAttributes {
  namespace?: string;
  verb: string;
  group?: string;
  resource: string;
  subresource?: string;
  name?: string;
}

export type AccessQuestion =
  | { kind: 'resource'; attributes: ResourceAttributes; warnings: string[] }
  | { kind: 'non-resource'; attributes: { verb: string; path: string }; warnings: string[] };

const TWO_ARGS = 'you must specify two arguments: verb resource or verb resource/resourceName';

/**
 * What `can-i` asks, from its arguments: `VERB TYPE[/NAME] [NAME]` or `VERB /PATH` (or
 * `VERB --path /PATH`). Types resolve through the kind registry; an unknown one is sent as
 * typed, with kubectl's warning. Pure.
 */
export function accessQuestion(positionals: readonly string[], opts: { namespace: string; subresource?: string | undefined; path?: string | undefined }): AccessQuestion {
  const [verb, target, extraName, ...more] = positionals;
  const path = opts.path ?? (target?.startsWith('/') ? target : undefined);
  if (path !== undefined) {
    if (!verb || (opts.path !== undefined ? target !== undefined : extraName !== undefined)) throw new UsageError(`${TWO_ARGS} (see 'tctl auth can-i --help')`);
    if (!path.startsWith('/')) throw new UsageError(`--path must start with "/": ${JSON.stringify(path)}`);
    if (opts.subresource) throw new UsageError('--subresource can not be used with NonResourceURL');
    const warnings = NON_RESOURCE_VERBS.has(verb) ? [] : [`verb '${verb}' is not a known verb`];
    return { kind: 'non-resource', attributes: { verb, path }, warnings };
  }
  if (!verb || !target || more.length) throw new UsageError(`${TWO_ARGS} (see 'tctl auth can-i --help')`);
  const slash = target.indexOf('/');
  const type = slash < 0 ? target : target.slice(0, slash);
  let name = slash < 0 ? undefined : target.slice(slash + 1);
  if (extraName !== undefined) {
    if (name !== undefined) throw new UsageError(`${TWO_ARGS} (see 'tctl auth can-i --help')`);
    name = extraName;
  }
  const warnings: string[] = [];
  let group = '';
  let resource: string;
  if (type === '*') {
    resource = '*';
  } else {
    const info = lookupKind(type);
    if (info) {
      group = info.group;
      resource = info.resource;
      // kubectl says so, and still asks in the namespace: RBAC decides what a namespace means there.
      if (!info.namespaced && opts.namespace) warnings.push(group ? `resource '${resource}' is not namespace scoped in group '${group}'` : `resource '${resource}' is not namespace scoped`);
    } else {
      resource = type.toLowerCase();
      if (!NON_STANDARD_RESOURCES.has(resource)) {
        const dot = resource.indexOf('.');
        warnings.push(dot < 0 ? `the server doesn't have a resource type '${resource}'` : `the server doesn't have a resource type '${resource.slice(0, dot)}' in group '${resource.slice(dot + 1)}'`);
      }
    }
  }
  if (!RESOURCE_VERBS.has(verb)) warnings.push(`verb '${verb}' is not a known verb`);
  return {
    kind: 'resource',
    attributes: {
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      verb,
      ...(group ? { group } : {}),
      resource,
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
      ...(name ? { name } : {}),
    },
    warnings,
  };
}

interface AccessReviewStatus { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string }

const canI = defineCommand({
  name: 'can-i',
  summary: 'Check whether an action is allowed',
  usage: 'tctl auth can-i VERB TYPE[/NAME] [NAME] [-n NS | -A] [--subresource S] | tctl auth can-i VERB /PATH',
  details: [
    'Prints "yes" (exit 0) or "no" (exit 1), as the API server answers a SelfSubjectAccessReview.',
    'TYPE resolves as elsewhere ("pods", "po", "deploy", "deployments.apps", "*"); a path starting with "/" asks about a',
    'non-resource URL. With --as USER [--as-group G] the server answers for that user (you must be allowed to impersonate).',
    '',
    'Examples:',
    '  tctl auth can-i create pods -A',
    '  tctl auth can-i list deployments.apps -n team',
    '  tctl auth can-i get pods --subresource=log',
    '  tctl auth can-i delete pods/web --as alice',
    '  tctl auth can-i get /healthz',
  ].join('\n'),
  flags: {
    'all-namespaces': { type: 'boolean', short: 'A', description: 'ask about all namespaces' },
    quiet: { type: 'boolean', short: 'q', description: 'print nothing; the exit code answers' },
    subresource: { type: 'string', value: 'NAME', description: 'a subresource such as log, exec, status, scale' },
    path: { type: 'string', value: '/PATH', description: 'a non-resource URL (same as giving /PATH as the second argument)' },
  },
  async run(ctx, { flags, positionals }) {
    const q = accessQuestion(positionals, {
      namespace: flags['all-namespaces'] ? '' : ctx.namespace,
      subresource: flags.subresource,
      path: flags.path,
    });
    for (const w of q.warnings) ctx.err(`Warning: ${w}\n`);
    const spec = q.kind === 'resource' ? { resourceAttributes: q.attributes } : { nonResourceAttributes: q.attributes };
    const review = await ctx.client().review<KubeObject & { status?: AccessReviewStatus }>({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec,
    });
    const status = review.status ?? {};
    if (!flags.quiet) {
      // kubectl's line: the reason and any evaluation error follow a "no".
      const why = status.allowed ? '' : [status.reason, status.evaluationError].filter((s) => !!s).map((s) => ` - ${s}`).join('');
      ctx.out(`${status.allowed ? 'yes' : 'no'}${why}\n`);
    }
    if (!status.allowed) throw new SilentExit(1);
    return 0;
  },
});

interface UserInfoJson { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> }

/** kubectl's whoami table: ATTRIBUTE / VALUE, lists as Go prints them (`[a b]`). */
export function whoamiTable(user: UserInfoJson): string {
  const list = (v: readonly string[]): string => `[${v.join(' ')}]`;
  const rows: string[][] = [];
  if (user.username) rows.push(['Username', user.username]);
  if (user.uid) rows.push(['UID', user.uid]);
  if (user.groups?.length) rows.push(['Groups', list(user.groups)]);
  for (const key of Object.keys(user.extra ?? {}).sort()) rows.push([`Extra: ${key}`, list(user.extra![key]!)]);
  return `${renderTable(['ATTRIBUTE', 'VALUE'], rows).join('\n')}\n`;
}

const whoami = defineCommand({
  name: 'whoami',
  summary: 'Show who the API server takes you for: user name, UID, groups, extra',
  usage: 'tctl auth whoami [-o yaml|json]',
  details: 'Asks the API server (a SelfSubjectReview), so it shows what the server made of your credentials and any --as.',
  flags: { output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json (default: a table)' } },
  async run(ctx, { flags, positionals }) {
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
    const output = parseOutput(flags.output, ['yaml', 'json']);
    const review = await ctx.client().review<KubeObject & { status?: { userInfo?: UserInfoJson } }>({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: {},
    });
    // parseOutput allowed only yaml and json besides the table.
    if (output.kind === 'json') ctx.out(toJson(review));
    else if (output.kind === 'yaml') ctx.out(toYaml(review));
    else ctx.out(whoamiTable(review.status?.userInfo ?? {}));
    return 0;
  },
});

export const authCommand = defineGroup('auth', 'Inspect authorization: can-i, whoami', [canI, whoami]);
