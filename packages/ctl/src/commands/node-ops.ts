// `tctl cordon|uncordon NODE` (spec.unschedulable) and `tctl drain NODE`: cordon, then evict
// every pod on the node through the pods/eviction subresource and wait for them to go, as
// kubectl drain does:
//
//   pods on the node ──▶ drainPlan (pure): mirror pods stay; DaemonSet pods stay with
//   --ignore-daemonsets, else refuse; pods with emptyDir data need --delete-emptydir-data,
//   pods no controller would recreate need --force (evicting them loses them)
//     ──▶ one task per pod, all at once: evict (or delete with --disable-eviction); a budget
//         that says not now (429) is retried every 5 s, printing kubectl's line, until --timeout
//     ──▶ wait for the pod to be gone ──▶ `pod/x evicted`
import { ApiError, resourceInfo, sleep, type KubeObject, type Node, type Pod } from '@tugboat/api';
import { durationArg } from '../args.js';
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
  return pods.filter((p) => !isFinished(p) && !controllerOf(p));
}

function isFinished(p: Pod): boolean {
  return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed';
}

function controllerOf(p: Pod): { kind: string } | undefined {
  return (p.metadata?.ownerReferences ?? []).find((r) => r.controller);
}

export interface DrainFlags {
  readonly force: boolean;
  readonly ignoreDaemonsets: boolean;
  readonly deleteEmptydirData: boolean;
}

export interface DrainPlan {
  /** The pods to evict (or delete). */
  readonly evict: Pod[];
  /** kubectl's warnings, one per kind of pod it goes ahead with (or leaves) anyway. */
  readonly warnings: string[];
  /** What stops the drain, each with the pods it is about; empty when it may go ahead. */
  readonly errors: string[];
}

const names = (pods: readonly Pod[]): string => pods.map((p) => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`).join(', ');

/** Which pods a drain evicts, and what refuses it (kubectl drain's pod filters, in its order). */
export function drainPlan(pods: readonly Pod[], flags: DrainFlags): DrainPlan {
  const evict: Pod[] = [];
  const daemonSet: Pod[] = [];
  const localStorage: Pod[] = [];
  const unmanaged: Pod[] = [];
  for (const p of pods) {
    // A mirror pod is the API's view of a static pod: only its node's files remove it.
    if (p.metadata?.annotations?.['kubernetes.io/config.mirror'] !== undefined) continue;
    if (!isFinished(p) && controllerOf(p)?.kind === 'DaemonSet') { daemonSet.push(p); continue; }
    if (!isFinished(p) && (p.spec?.volumes ?? []).some((v) => v.emptyDir)) localStorage.push(p);
    if (!isFinished(p) && !controllerOf(p)) unmanaged.push(p);
    evict.push(p);
  }
  const warnings: string[] = [];
  const errors: string[] = [];
  if (daemonSet.length) {
    if (flags.ignoreDaemonsets) warnings.push(`ignoring DaemonSet-managed Pods: ${names(daemonSet)}`);
    else errors.push(`cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): ${names(daemonSet)}`);
  }
  if (localStorage.length) {
    if (flags.deleteEmptydirData) warnings.push(`deleting Pods with local storage: ${names(localStorage)}`);
    else errors.push(`cannot delete Pods with local storage (use --delete-emptydir-data to override): ${names(localStorage)}`);
  }
  if (unmanaged.length) {
    if (flags.force) warnings.push(`deleting Pods that declare no controller: ${names(unmanaged)}`);
    else errors.push(`cannot delete pods that declare no controller (use --force to override): ${names(unmanaged)}`);
  }
  return { evict, warnings, errors };
}

/** How long kubectl drain waits before asking again when a disruption budget refused an eviction. */
export const EVICTION_RETRY_MS = 5_000;

interface EvictOptions {
  readonly disableEviction: boolean;
  readonly gracePeriodSeconds: number | undefined;
  readonly deadline: number;
  readonly timeout: string;
  readonly retryMs: number;
}

/** Evicts one pod, retrying while a budget refuses; false when it was already gone. */
async function evictPod(ctx: Context, pod: PodObject, o: EvictOptions): Promise<boolean> {
  const client = ctx.client();
  const ns = pod.metadata?.namespace ?? '';
  const name = pod.metadata?.name ?? '';
  const opts = o.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: o.gracePeriodSeconds } : {};
  for (;;) {
    try {
      if (o.disableEviction) await client.delete(PODS.resource, ns, name, opts);
      else await client.evict(ns, name, opts);
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') return false;
      if (!(e instanceof ApiError && e.reason === 'TooManyRequests')) throw new CliError(`error when evicting pods/"${name}" -n "${ns}": ${ctx.errorLine(e)}`);
      if (Date.now() + o.retryMs > o.deadline) throw new CliError(`error when evicting pods/"${name}" -n "${ns}": global timeout reached: ${o.timeout}`);
      ctx.err(`error when evicting pods/"${name}" -n "${ns}" (will retry after ${o.retryMs / 1000}s): ${e.message}\n`);
      await sleep(o.retryMs, ctx.signal);
      if (ctx.signal.aborted) throw new CliError('interrupted');
    }
  }
}

export const drainCommand = defineCommand({
  name: 'drain',
  summary: 'Cordon a node, then evict its pods (honouring PodDisruptionBudgets) and wait for them to go',
  usage: 'tctl drain NODE [--force] [--ignore-daemonsets] [--delete-emptydir-data] [--disable-eviction] [--grace-period N] [--timeout D]',
  flags: {
    force: { type: 'boolean', description: 'also evict pods no controller manages (they are not recreated)' },
    'grace-period': { type: 'int', value: 'SECONDS', default: -1, description: 'seconds each pod gets to stop; -1 uses the pod\'s own' },
    timeout: { type: 'string', value: 'DURATION', default: '5m', description: 'give up after this long (evictions a budget refuses are retried until then)' },
    'ignore-daemonsets': { type: 'boolean', description: 'leave DaemonSet-managed pods (their controller would put them back at once)' },
    'delete-emptydir-data': { type: 'boolean', description: 'also evict pods with emptyDir volumes (their data is lost)' },
    'disable-eviction': { type: 'boolean', description: 'delete pods instead of evicting them: PodDisruptionBudgets are not consulted' },
  },
  async run(ctx, { flags, positionals }) {
    const nodes = nodeNames(positionals, 'drain');
    const client = ctx.client();
    const deadline = Date.now() + durationArg(flags.timeout);
    const evictOpts: EvictOptions = {
      disableEviction: flags['disable-eviction'],
      gracePeriodSeconds: flags['grace-period'] >= 0 ? flags['grace-period'] : undefined,
      deadline,
      timeout: flags.timeout,
      retryMs: EVICTION_RETRY_MS,
    };
    for (const node of nodes) {
      const changed = await setUnschedulable(ctx, node, true).catch((e: unknown) => {
        if (e instanceof ApiError && e.reason === 'NotFound') throw new CliError(`nodes "${node}" not found`);
        throw e;
      });
      ctx.out(`node/${node} ${changed ? '' : 'already '}cordoned\n`);
      const pods = (await client.listAll<PodObject>('pods', { fieldSelector: `spec.nodeName=${node}` })).items.filter((p) => p.spec?.nodeName === node);
      const plan = drainPlan(pods, { force: flags.force, ignoreDaemonsets: flags['ignore-daemonsets'], deleteEmptydirData: flags['delete-emptydir-data'] });
      if (plan.errors.length) throw new CliError(`unable to drain node "${node}": ${plan.errors.join('; ')}`);
      if (plan.warnings.length) ctx.err(`Warning: ${plan.warnings.join('; ')}\n`);
      // Every pod at once, as kubectl: a pod a budget holds back does not hold back the others.
      const results = await Promise.allSettled(plan.evict.map(async (p) => {
        const pod = p as PodObject;
        const t = { info: PODS, namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '' };
        ctx.out(`evicting pod ${t.namespace}/${t.name}\n`);
        if (!(await evictPod(ctx, pod, evictOpts))) return;
        if (!(await waitForDeletion(ctx, t, pod.metadata?.uid, deadline))) {
          if (ctx.signal.aborted) throw new CliError('interrupted');
          throw new CliError(`drain did not complete within ${flags.timeout}: pod ${t.namespace}/${t.name} is still there`);
        }
        ctx.out(`pod/${t.name} evicted\n`);
      }));
      if (ctx.signal.aborted) return 130;
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed.length) {
        for (const f of failed.slice(1)) ctx.err(`error: ${f.reason instanceof Error ? f.reason.message : String(f.reason)}\n`);
        throw failed[0]!.reason;
      }
      ctx.out(`node/${node} drained\n`);
    }
    return 0;
  },
});
