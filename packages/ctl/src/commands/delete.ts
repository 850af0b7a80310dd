// `tctl delete KIND NAME… | KIND/NAME… | -f FILE | -l SELECTOR | --all`: asks the API server
// to delete, prints `pod "web" deleted`, and by default waits until each object is gone
// (a bound pod lingers while its agent stops the containers), as kubectl does.
import { ApiError, kindInfo, qualifiedResource, qualifiedSingular, sleep, type KindInfo, type PropagationPolicy } from '@tugboat/api';
import { durationArg } from '../args.js';
import { defineCommand } from '../command.js';
import type { Context } from '../context.js';
import { CliError, UsageError, failsEveryRequest } from '../errors.js';
import { readManifests } from '../manifests.js';
import { parseResourceArgs } from '../resource-args.js';
import { FILE_FLAGS, parseDryRun } from './apply.js';

interface Target {
  info: KindInfo;
  namespace: string;
  name: string;
}

export function parseCascade(value: string | undefined): PropagationPolicy | undefined {
  switch (value) {
    case undefined: return undefined;
    case 'background': case 'true': return 'Background';
    case 'foreground': return 'Foreground';
    case 'orphan': case 'false': return 'Orphan';
    default: throw new UsageError(`invalid --cascade value "${value}": must be "background", "foreground", or "orphan"`);
  }
}

/** Polls until the object is gone (or replaced by a new one with another uid). */
export async function waitForDeletion(ctx: Context, t: Target, uid: string | undefined, deadline: number): Promise<boolean> {
  const client = ctx.client();
  while (!ctx.signal.aborted) {
    const obj = await client.tryGet(t.info.resource, t.namespace, t.name);
    if (!obj || (uid && obj.metadata?.uid !== uid)) return true;
    if (Date.now() > deadline) return false;
    await sleep(200, ctx.signal);
  }
  return false;
}

export const deleteCommand = defineCommand({
  name: 'delete',
  summary: 'Delete objects by kind and name, by label, or from manifests',
  usage: 'tctl delete KIND NAME… | KIND/NAME… | -f FILE | KIND -l SELECTOR | KIND --all [--wait=false] [--grace-period N] [--force] [--cascade=background|foreground|orphan]',
  details: 'Examples:\n  tctl delete pod web\n  tctl delete -f manifests/demo.yaml\n  tctl delete deploy api --cascade=orphan\n  tctl delete pods -l app=web --grace-period 0 --force',
  flags: {
    ...FILE_FLAGS,
    selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'delete the objects matching this label selector' },
    all: { type: 'boolean', description: 'delete every object of the kind in the namespace' },
    'all-namespaces': { type: 'boolean', short: 'A', description: 'with -l or --all: in every namespace' },
    wait: { type: 'boolean', default: true, description: 'wait until the objects are gone (default true; --wait=false to return at once)' },
    timeout: { type: 'string', value: 'DURATION', description: 'give up waiting after this long (default: grace period + 60s)' },
    'grace-period': { type: 'int', value: 'SECONDS', description: 'seconds a pod gets to stop; -1 uses the pod\'s own (default)', default: -1 },
    now: { type: 'boolean', description: 'stop at once (grace period 1)' },
    force: { type: 'boolean', description: 'with --grace-period 0: remove at once without waiting for the node to confirm' },
    cascade: { type: 'string', value: 'background|foreground|orphan', bareValue: 'background', description: 'what happens to dependents: deleted in the background (default), before the owner, or kept' },
    'ignore-not-found': { type: 'boolean', description: 'objects that do not exist are not an error' },
    'dry-run': { type: 'string', value: 'client|server', bareValue: 'client', description: 'only show what would be deleted' },
    output: { type: 'string', short: 'o', value: 'name', description: 'name: print kind/name of each deleted object' },
  },
  async run(ctx, { flags, positionals }) {
    const dryRun = parseDryRun(flags['dry-run']);
    const propagation = parseCascade(flags.cascade);
    if (flags.output !== undefined && flags.output !== 'name') throw new UsageError(`unexpected -o ${flags.output}: only "name" is supported`);
    let grace: number | undefined = flags['grace-period'] >= 0 ? flags['grace-period'] : undefined;
    if (flags.now) grace = 1;
    if (flags.force && grace === undefined) grace = 0;
    if (grace === 0 && !flags.force) grace = 1; // kubectl: 0 without --force means "as fast as possible", not "skip the node"
    if (grace === 0) ctx.err('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');

    const client = ctx.client();
    const targets: Target[] = [];
    let failed = 0;
    if (flags.filename.length) {
      if (positionals.length) throw new UsageError('give either -f FILE or KIND NAME, not both');
      const docs = await readManifests(flags.filename, { recursive: flags.recursive, cwd: ctx.io.cwd, readStdin: ctx.io.readStdin });
      for (const d of docs) {
        if (!d.object) { ctx.err(`error: ${d.error ?? 'empty document'}\n`); failed++; continue; }
        const info = kindInfo(d.object.kind ?? '');
        if (!info) { ctx.err(`error: ${d.source} (document ${d.index}): no matches for kind "${d.object.kind}" in version "${d.object.apiVersion}"\n`); failed++; continue; }
        targets.push({ info, namespace: info.namespaced ? d.object.metadata?.namespace || ctx.namespace : '', name: d.object.metadata?.name ?? '' });
      }
    } else {
      const requests = parseResourceArgs(positionals, 'delete');
      for (const r of requests) {
        const ns = r.info.namespaced ? (flags['all-namespaces'] ? '' : ctx.namespace) : '';
        if (r.names.length) {
          if (flags.selector || flags.all) throw new UsageError('names cannot be combined with -l or --all');
          for (const name of r.names) targets.push({ info: r.info, namespace: ns, name });
        } else if (flags.selector || flags.all) {
          const list = await client.listAll(r.info.resource, { namespace: ns, ...(flags.selector ? { labelSelector: flags.selector } : {}) });
          for (const o of list.items) targets.push({ info: r.info, namespace: o.metadata?.namespace ?? '', name: o.metadata?.name ?? '' });
          if (list.items.length === 0) ctx.err(`No resources found${r.info.namespaced && ns ? ` in ${ns} namespace` : ''}\n`);
        } else {
          throw new UsageError(`resource(s) were provided, but no name was specified: give NAME, -l SELECTOR or --all (e.g. 'tctl delete ${r.info.singular} NAME')`);
        }
      }
    }

    const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
    const pending: { target: Target; uid: string | undefined; grace: number }[] = [];
    for (const t of targets) {
      try {
        if (dryRun === 'client') {
          const existing = await client.tryGet(t.info.resource, t.namespace, t.name);
          if (!existing) throw ApiError.notFound(t.info.resource, t.name);
        } else {
          const res = await client.delete(t.info.resource, t.namespace, t.name, {
            ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
            ...(propagation ? { propagationPolicy: propagation } : {}),
            dryRun: dryRun === 'server',
          });
          const podGrace = res.metadata?.deletionGracePeriodSeconds ?? 30;
          if (dryRun === 'none') pending.push({ target: t, uid: res.metadata?.uid, grace: podGrace });
        }
        ctx.out(flags.output === 'name' ? `${qualifiedSingular(t.info)}/${t.name}\n` : `${qualifiedSingular(t.info)} "${t.name}" deleted${suffix}\n`);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'NotFound') {
          if (!flags['ignore-not-found']) {
            ctx.err(`error: ${qualifiedResource(t.info)} "${t.name}" not found\n`);
            failed++;
          }
          continue;
        }
        if (failsEveryRequest(e)) throw e;
        ctx.err(`error: ${ctx.errorLine(e)}\n`);
        failed++;
      }
    }

    if (flags.wait && pending.length) {
      const maxGrace = Math.max(...pending.map((p) => p.grace));
      const timeoutMs = flags.timeout ? durationArg(flags.timeout) : (maxGrace + 60) * 1000;
      const deadline = Date.now() + timeoutMs;
      for (const p of pending) {
        if (!(await waitForDeletion(ctx, p.target, p.uid, deadline))) {
          if (ctx.signal.aborted) return 130;
          throw new CliError(`timed out waiting for ${p.target.info.resource}/${p.target.name} to be deleted`);
        }
      }
    }
    return failed ? 1 : 0;
  },
});
