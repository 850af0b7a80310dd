// `tctl cordon|uncordon NODE` (spec.unschedulable) and `tctl drain NODE`: cordon, then evict
// every pod on the node and wait for them to go, as kubectl drain does. Pods no controller
// would recreate are refused unless --force, since evicting them loses them.
import { ApiError, resourceInfo, type KubeObject, type Node, type Pod } from '@tugboat/api';
import { parseDuration } from '../args.js';
import { defineCommand } from '../command.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { waitForDeletion } from './delete.js';
import { updateWithRetry } from './util.js';

type NodeObject = Node & KubeObject;
type PodObject = Pod & KubeObject;

const NODES = resourceInfo('nodes')!;
const PODS = resourceInfo('pods')!;

async function setUnschedulable(ctx: Context, name: string, unschedulable: boolean): Promise<boolean> {
  const { changed } = await updateWithRetry<NodeObject>(ctx.client(), NODES, '', name, (node) => {
    if (!!node.spec?.unschedulable === unschedulable) return false;
    node.spec = { ...(node.spec ?? {}) };
    if (unschedulable) node.spec.unschedulable = true;
    else delete node.spec.unschedulable;
    return true;
  });
  return changed;
}

function nodeNames(positionals: readonly string[], verb: string): string[] {
  if (positionals.length === 0) throw new UsageError(`usage: tctl ${verb} NODE…`);
  return positionals.map((p) => (p.startsWith('node/') ? p.slice(5) : p.startsWith('nodes/') ? p.slice(6) : p));
}

function cordonCommand(cordon: boolean) {
  const verb = cordon ? 'cordon' : 'uncordon';
  return defineCommand({
    name: verb,
    summary: cordon ? 'Mark nodes unschedulable: no new pods are placed on them' : 'Mark nodes schedulable again',
    usage: `tctl ${verb} NODE…`,
    flags: {},
    async run(ctx, { positionals }) {
      let failed = 0;
      for (const name of nodeNames(positionals, verb)) {
        try {
          const changed = await setUnschedulable(ctx, name, cordon);
          ctx.out(`node/${name} ${changed ? '' : 'already '}${verb}ed\n`);
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'NotFound') { ctx.err(`error: nodes "${name}" not found\n`); failed++; continue; }
          throw e;
        }
      }
      return failed ? 1 : 0;
    },
  });
}

export const cordonCommandDef = cordonCommand(true);
export const uncordonCommandDef = cordonCommand(false);

/** Pods a drain would leave stranded: no controller owns them. */
export function unmanagedPods(pods: readonly Pod[]): Pod[] {
  const finished = (p: Pod): boolean => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
  return pods.filter((p) => !finished(p) && !(p.metadata?.ownerReferences ?? []).some((r) => r.controller));
}

export const drainCommand = defineCommand({
  name: 'drain',
  summary: 'Cordon a node, then evict its pods and wait for them to go',
  usage: 'tctl drain NODE [--force] [--grace-period N] [--timeout D]',
  flags: {
    force: { type: 'boolean', description: 'also evict pods no controller manages (they are not recreated)' },
    'grace-period': { type: 'int', value: 'SECONDS', default: -1, description: 'seconds each pod gets to stop; -1 uses the pod\'s own' },
    timeout: { type: 'string', value: 'DURATION', default: '5m', description: 'give up waiting for the pods after this long' },
    'ignore-daemonsets': { type: 'boolean', description: 'accepted for kubectl compatibility (Tugboat has no daemon sets)' },
    'delete-emptydir-data': { type: 'boolean', description: 'accepted for kubectl compatibility' },
  },
  async run(ctx, { flags, positionals }) {
    const names = nodeNames(positionals, 'drain');
    const client = ctx.client();
    const deadline = Date.now() + parseDuration(flags.timeout);
    for (const node of names) {
      const changed = await setUnschedulable(ctx, node, true).catch((e: unknown) => {
        if (e instanceof ApiError && e.reason === 'NotFound') throw new CliError(`nodes "${node}" not found`);
        throw e;
      });
      ctx.out(`node/${node} ${changed ? '' : 'already '}cordoned\n`);
      const pods = (await client.listAll<PodObject>('pods', { fieldSelector: `spec.nodeName=${node}` })).items.filter((p) => p.spec?.nodeName === node);
      const unmanaged = unmanagedPods(pods);
      if (unmanaged.length && !flags.force) {
        throw new CliError(`unable to drain node "${node}": cannot delete pods that declare no controller (use --force to override): ${unmanaged.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).join(', ')}`);
      }
      const evicted: { pod: PodObject; uid: string | undefined }[] = [];
      for (const pod of pods) {
        const ns = pod.metadata?.namespace ?? '';
        const name = pod.metadata?.name ?? '';
        ctx.out(`evicting pod ${ns}/${name}\n`);
        try {
          await client.delete(PODS.resource, ns, name, flags['grace-period'] >= 0 ? { gracePeriodSeconds: flags['grace-period'] } : {});
          evicted.push({ pod, uid: pod.metadata?.uid });
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'NotFound') continue;
          throw new CliError(`evicting ${ns}/${name}: ${ctx.errorLine(e)}`);
        }
      }
      for (const { pod, uid } of evicted) {
        const t = { info: PODS, namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' };
        if (!(await waitForDeletion(ctx, t, uid, deadline))) {
          if (ctx.signal.aborted) return 130;
          throw new CliError(`drain did not complete within ${flags.timeout}: pod ${t.namespace}/${t.name} is still there`);
        }
        ctx.out(`pod/${t.name} evicted\n`);
      }
      ctx.out(`node/${node} drained\n`);
    }
    return 0;
  },
});
