// `tctl logs POD|deployment/NAME|replicaset/NAME [-c C] [-f] [--tail N] [--since D]` and
// `tctl logs -l SELECTOR`: a pod's output, streamed from its node's agent through the API
// server (tctl never talks to nodes). Several pods stream side by side; --prefix says whose
// each line is.
import { ApiError, formatSelector, resourceInfo, type KubeObject, type LogsOptions, type Pod } from '@tugboat/api';
import { durationArg } from '../args.js';
import { defineCommand } from '../command.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { kindOrThrow } from '../resource-args.js';

type PodObject = Pod & KubeObject;

/** Buffers partial lines so a prefix goes in front of each whole line. */
export class LinePrefixer {
  private partial = '';
  constructor(private readonly prefix: string, private readonly write: (s: string) => void) {}
  push(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) this.write(`${this.prefix}${l}\n`);
  }
  flush(): void {
    if (this.partial) this.write(`${this.prefix}${this.partial}\n`);
    this.partial = '';
  }
}

async function podsFor(ctx: Context, arg: string | undefined, selector: string | undefined): Promise<PodObject[]> {
  const client = ctx.client();
  if (selector) {
    if (arg) throw new UsageError('give either a pod name or -l SELECTOR, not both');
    return (await client.listAll<PodObject>('pods', { namespace: ctx.namespace, labelSelector: selector })).items
      .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
  }
  if (!arg) throw new UsageError('usage: tctl logs POD [-c CONTAINER] [-f] | tctl logs -l SELECTOR');
  const slash = arg.indexOf('/');
  const info = slash < 0 ? resourceInfo('pods')! : kindOrThrow(arg.slice(0, slash));
  const name = slash < 0 ? arg : arg.slice(slash + 1);
  if (info.resource === 'pods') {
    try {
      return [await client.get<PodObject>('pods', ctx.namespace, name)];
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') throw new CliError(`pods "${name}" not found`);
      throw e;
    }
  }
  if (info.resource !== 'deployments' && info.resource !== 'replicasets' && info.resource !== 'jobs') throw new CliError(`cannot get logs of ${info.resource}; use a pod, deployment, replicaset or job`);
  const owner = await client.get<KubeObject & { spec?: { selector?: Parameters<typeof formatSelector>[0] } }>(info.resource, ctx.namespace, name);
  const sel = formatSelector(owner.spec?.selector);
  const pods = (await client.listAll<PodObject>('pods', { namespace: ctx.namespace, labelSelector: sel === '<none>' ? '' : sel })).items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .sort((a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? ''));
  const first = pods.find((p) => p.status?.phase === 'Running') ?? pods[0];
  if (!first) throw new CliError(`no pods found for ${info.singular} "${name}"`);
  if (pods.length > 1) ctx.err(`Found ${pods.length} pods, using pod/${first.metadata?.name}\n`);
  return [first];
}

export const logsCommand = defineCommand({
  name: 'logs',
  summary: 'Print (or follow) the output of a pod\'s containers',
  usage: 'tctl logs POD|deployment/NAME|job/NAME [-c CONTAINER] [-f] [--tail N] [--since 5m] [-p] | tctl logs -l SELECTOR [-f] [--prefix]',
  flags: {
    container: { type: 'string', short: 'c', value: 'NAME', description: 'the container (default: the only one)' },
    follow: { type: 'boolean', short: 'f', description: 'keep streaming as the container writes' },
    tail: { type: 'int', value: 'N', default: -1, description: 'only the last N lines (-1: all; with -l, default 10)' },
    since: { type: 'string', value: 'DURATION', description: 'only lines newer than this (e.g. 5m)' },
    previous: { type: 'boolean', short: 'p', description: 'the previous, terminated instance of the container' },
    timestamps: { type: 'boolean', description: 'prefix each line with its time' },
    selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'the pods with these labels' },
    prefix: { type: 'boolean', description: 'prefix each line with [pod/NAME/CONTAINER]' },
    'all-containers': { type: 'boolean', description: 'every container of the pod' },
    'max-log-requests': { type: 'int', value: 'N', default: 5, description: 'with -l -f: most pods to follow at once' },
  },
  async run(ctx, { flags, positionals, given }) {
    if (positionals.length > 2) throw new UsageError('usage: tctl logs POD [CONTAINER]');
    const container = flags.container ?? positionals[1];
    const pods = await podsFor(ctx, positionals[0], flags.selector);
    if (pods.length === 0) {
      ctx.err(`No resources found in ${ctx.namespace} namespace.\n`);
      return 0;
    }
    if (flags.follow && pods.length > flags['max-log-requests']) {
      throw new CliError(`you are attempting to follow ${pods.length} log streams, but the maximum allowed concurrency is ${flags['max-log-requests']}; use --max-log-requests to increase the limit`);
    }
    // kubectl shows the last 10 lines of each pod when selecting by label.
    const tail = given.has('tail') ? flags.tail : flags.selector ? 10 : -1;
    const client = ctx.client();
    const streams = pods.flatMap((p) => {
      const names = flags['all-containers'] ? (p.spec?.containers ?? []).map((c) => c.name) : [container];
      return names.map((c) => ({ pod: p, container: c }));
    });
    const prefixed = flags.prefix || streams.length > 1 && flags['all-containers'];
    const failures: string[] = [];
    await Promise.all(streams.map(async ({ pod, container: c }) => {
      const opts: LogsOptions = {
        follow: flags.follow, previous: flags.previous, timestamps: flags.timestamps,
        ...(c ? { container: c } : {}),
        ...(tail >= 0 ? { tailLines: tail } : {}),
        ...(flags.since ? { sinceSeconds: Math.ceil(durationArg(flags.since) / 1000) } : {}),
      };
      const stream = client.logs(pod.metadata?.namespace ?? ctx.namespace, pod.metadata?.name ?? '', opts);
      const onAbort = (): void => stream.close();
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const prefixers = new Map<string, LinePrefixer>();
      try {
        for await (const chunk of stream) {
          const text = chunk.data.toString('utf8');
          if (!prefixed) { ctx.out(text); continue; }
          const who = chunk.container || c || '';
          let p = prefixers.get(who);
          if (!p) { p = new LinePrefixer(`[pod/${pod.metadata?.name}/${who}] `, (s) => ctx.out(s)); prefixers.set(who, p); }
          p.push(text);
        }
      } catch (e) {
        if (!ctx.signal.aborted) failures.push(ctx.errorLine(e));
      } finally {
        for (const p of prefixers.values()) p.flush();
        ctx.signal.removeEventListener('abort', onAbort);
      }
    }));
    if (failures.length) {
      for (const f of failures.slice(0, -1)) ctx.err(`error: ${f}\n`);
      throw new CliError(failures.at(-1)!);
    }
    return 0;
  },
});
