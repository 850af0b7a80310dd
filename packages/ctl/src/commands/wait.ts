// `tctl wait --for=condition=C[=value]|delete|jsonpath=EXPR=value KIND/NAME… | KIND -l SEL`:
// polls until every object meets the condition. Objects that do not exist yet are waited
// for (a condition cannot be met by nothing; `delete` is met by it).
import { qualifiedSingular, sleep, type KindInfo, type KubeObject } from '@tugboat/api';
import { durationArg } from '../args.js';
import { defineCommand } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { compileJsonPath } from '../printers/jsonpath.js';
import { parseResourceArgs } from '../resource-args.js';

export type WaitCondition =
  | { kind: 'delete' }
  | { kind: 'condition'; type: string; status: string }
  | { kind: 'jsonpath'; render: (data: unknown) => string; value: string | undefined };

export function parseFor(text: string | undefined): WaitCondition {
  if (!text) throw new UsageError('--for is required: --for=condition=Available, --for=delete or --for=jsonpath=\'{.status.phase}\'=Running');
  if (text === 'delete') return { kind: 'delete' };
  if (text.startsWith('condition=')) {
    const [type, status] = text.slice('condition='.length).split('=', 2);
    if (!type) throw new UsageError(`bad --for ${text}: condition=TYPE[=VALUE]`);
    return { kind: 'condition', type, status: status ?? 'True' };
  }
  if (text.startsWith('jsonpath=')) {
    const rest = text.slice('jsonpath='.length);
    const close = rest.lastIndexOf('}');
    if (close < 0) throw new UsageError(`bad --for ${text}: jsonpath='{.path}'=VALUE`);
    const expr = rest.slice(0, close + 1);
    const value = rest.slice(close + 1).startsWith('=') ? rest.slice(close + 2) : undefined;
    return { kind: 'jsonpath', render: compileJsonPath(expr.startsWith('{') ? expr : `{${expr}}`), value };
  }
  throw new UsageError(`unrecognized --for "${text}": use condition=TYPE[=VALUE], delete or jsonpath=EXPR[=VALUE]`);
}

/** Whether `obj` (undefined: it does not exist) meets the condition. Pure. */
export function conditionMet(cond: WaitCondition, obj: KubeObject | undefined): boolean {
  switch (cond.kind) {
    case 'delete': return obj === undefined;
    case 'condition': {
      if (!obj) return false;
      const conditions = ((obj['status'] as { conditions?: { type?: string; status?: string }[] } | undefined)?.conditions) ?? [];
      const c = conditions.find((x) => (x.type ?? '').toLowerCase() === cond.type.toLowerCase());
      return !!c && (c.status ?? '').toLowerCase() === cond.status.toLowerCase();
    }
    case 'jsonpath': {
      if (!obj) return false;
      const v = cond.render(obj);
      return cond.value === undefined ? v !== '' : v === cond.value;
    }
  }
}

interface Target { info: KindInfo; namespace: string; name: string }

export const waitCommand = defineCommand({
  name: 'wait',
  summary: 'Wait until objects meet a condition (or are deleted)',
  usage: "tctl wait --for=condition=Available|delete|jsonpath='{.status.phase}'=Running KIND/NAME… | KIND -l SELECTOR [--timeout 30s]",
  details: 'Examples:\n  tctl wait --for=condition=Available deployment/web --timeout 60s\n  tctl wait --for=condition=Ready pods -l app=web\n  tctl wait --for=delete pod/web',
  flags: {
    for: { type: 'string', value: 'CONDITION', description: 'condition=TYPE[=VALUE], delete, or jsonpath=EXPR[=VALUE]' },
    timeout: { type: 'string', value: 'DURATION', default: '30s', description: 'give up after this long (exit 1)' },
    selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'every object of the kind with these labels' },
    all: { type: 'boolean', description: 'every object of the kind in the namespace' },
    'all-namespaces': { type: 'boolean', short: 'A', description: 'with -l or --all: in every namespace' },
  },
  async run(ctx, { flags, positionals }) {
    const cond = parseFor(flags.for);
    const deadline = Date.now() + durationArg(flags.timeout);
    const requests = parseResourceArgs(positionals, 'wait');
    const client = ctx.client();
    const named: Target[] = [];
    const selected: { info: KindInfo; namespace: string }[] = [];
    for (const r of requests) {
      const ns = r.info.namespaced ? (flags['all-namespaces'] ? '' : ctx.namespace) : '';
      if (r.names.length) for (const name of r.names) named.push({ info: r.info, namespace: ns, name });
      else if (flags.selector || flags.all) selected.push({ info: r.info, namespace: ns });
      else throw new UsageError('give NAME, -l SELECTOR or --all');
    }
    const done = new Set<string>();
    const key = (t: { info: KindInfo; name: string; namespace: string }): string => `${t.info.resource}/${t.namespace}/${t.name}`;
    const report = (t: { info: KindInfo; name: string }): void => ctx.out(`${qualifiedSingular(t.info)}/${t.name} condition met\n`);
    for (;;) {
      let pending = 0;
      for (const t of named) {
        if (done.has(key(t))) continue;
        const obj = await client.tryGet(t.info.resource, t.namespace, t.name);
        if (conditionMet(cond, obj)) { done.add(key(t)); report(t); } else pending++;
      }
      for (const s of selected) {
        const items = (await client.listAll(s.info.resource, { namespace: s.namespace, ...(flags.selector ? { labelSelector: flags.selector } : {}) })).items;
        // Nothing matching yet: keep waiting for it to appear (unless waiting for deletion).
        if (items.length === 0 && cond.kind !== 'delete') pending++;
        for (const o of items) {
          const t = { info: s.info, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' };
          if (done.has(key(t))) continue;
          if (conditionMet(cond, o)) { done.add(key(t)); report(t); } else pending++;
        }
      }
      if (pending === 0) return 0;
      if (ctx.signal.aborted) return 130;
      if (Date.now() > deadline) {
        const left = named.filter((t) => !done.has(key(t))).map((t) => `${t.info.resource}/${t.name}`);
        throw new CliError(`timed out waiting for the condition${left.length ? ` on ${left.join(', ')}` : ''}`);
      }
      await sleep(250, ctx.signal);
    }
  },
});
