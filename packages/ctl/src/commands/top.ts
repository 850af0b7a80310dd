// `tctl top nodes|pods`: cpu and memory in use, as the agents report it (every 10 s), with
// percentages of each node's allocatable — kubectl top's columns, without a metrics server.
import { type KubeObject, type Node, type Pod } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { parseBytes, parseCpuMilli, percent } from '../printers/resources.js';
import { renderTable } from '../printers/table.js';
import { kindOrThrow } from '../resource-args.js';

/** What an agent reported: thousandths of a core, bytes. */
export interface Usage {
  cpuMilli: number;
  memory: number;
  containers?: { name: string; cpuMilli: number; memory: number }[];
}

/**
 * Where agents put usage (packages/agent/src/node): on each Node, annotation
 * `tugboat.io/usage` = {"cpu":"250m","memory":"512Mi","timestamp":…} for the node and
 * `tugboat.io/pod-usage` = {"ns/name": {cpu, memory, containers: {name: {cpu, memory}}}} for
 * its pods. A pod's own `tugboat.io/usage` or status.usage is read too.
 */
export const USAGE_ANNOTATION = 'tugboat.io/usage';
export const POD_USAGE_ANNOTATION = 'tugboat.io/pod-usage';

interface RawUsage { cpu?: unknown; memory?: unknown; containers?: unknown }

function fromRaw(raw: RawUsage | undefined): Usage | undefined {
  if (!raw || (raw.cpu === undefined && raw.memory === undefined)) return undefined;
  const u: Usage = { cpuMilli: parseCpuMilli(raw.cpu ?? 0), memory: parseBytes(raw.memory ?? 0) };
  if (Array.isArray(raw.containers)) {
    u.containers = (raw.containers as (RawUsage & { name?: unknown })[]).map((c) => ({ name: String(c.name ?? ''), cpuMilli: parseCpuMilli(c.cpu ?? 0), memory: parseBytes(c.memory ?? 0) }));
  } else if (raw.containers && typeof raw.containers === 'object') {
    u.containers = Object.entries(raw.containers as Record<string, RawUsage>).map(([name, c]) => ({ name, cpuMilli: parseCpuMilli(c.cpu ?? 0), memory: parseBytes(c.memory ?? 0) }));
  }
  return u;
}

/** The usage an agent reported for a node or a pod, if any. Pure. */
export function usageOf(obj: KubeObject): Usage | undefined {
  const annotation = obj.metadata?.annotations?.[USAGE_ANNOTATION];
  if (annotation) {
    try {
      const u = fromRaw(JSON.parse(annotation) as RawUsage);
      if (u) return u;
    } catch { /* fall through to status */ }
  }
  return fromRaw((obj['status'] as { usage?: RawUsage } | undefined)?.usage);
}

/** Every pod's usage as its node reported it, by "namespace/name". Pure. */
export function podUsageFromNodes(nodes: readonly KubeObject[]): Map<string, Usage> {
  const out = new Map<string, Usage>();
  for (const n of nodes) {
    const text = n.metadata?.annotations?.[POD_USAGE_ANNOTATION];
    if (!text) continue;
    try {
      for (const [key, raw] of Object.entries(JSON.parse(text) as Record<string, RawUsage>)) {
        const u = fromRaw(raw);
        if (u) out.set(key, u);
      }
    } catch { /* a malformed report: no usage from this node */ }
  }
  return out;
}

/** kubectl top always shows millicores: "0m", "250m", "1500m". */
function formatMilli(milli: number): string {
  return `${Math.round(milli)}m`;
}

function formatMi(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}

export const topCommand = defineCommand({
  name: 'top',
  summary: 'Show cpu and memory in use by nodes or pods',
  usage: 'tctl top nodes|pods [NAME] [-n NS | -A] [-l SELECTOR] [--containers] [--sort-by cpu|memory]',
  flags: {
    'all-namespaces': { type: 'boolean', short: 'A', description: 'pods in every namespace' },
    selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'label selector' },
    containers: { type: 'boolean', description: 'pods: one line per container' },
    'sort-by': { type: 'string', value: 'cpu|memory', description: 'biggest first' },
    'no-headers': { type: 'boolean', description: 'leave out the header line' },
  },
  async run(ctx, { flags, positionals }) {
    const [what, name, ...rest] = positionals;
    if (!what || rest.length) throw new UsageError('usage: tctl top nodes|pods [NAME]');
    const info = kindOrThrow(what);
    const sortBy = flags['sort-by'];
    if (sortBy !== undefined && sortBy !== 'cpu' && sortBy !== 'memory') throw new UsageError('--sort-by must be cpu or memory');
    const client = ctx.client();
    const sel = flags.selector ? { labelSelector: flags.selector } : {};
    const order = <T>(items: T[], usage: (t: T) => Usage): T[] =>
      sortBy ? [...items].sort((a, b) => (sortBy === 'cpu' ? usage(b).cpuMilli - usage(a).cpuMilli : usage(b).memory - usage(a).memory)) : items;

    if (info.resource === 'nodes') {
      let nodes = (await client.listAll<Node & KubeObject>('nodes', sel)).items;
      if (name) nodes = nodes.filter((n) => n.metadata?.name === name);
      if (name && nodes.length === 0) throw new CliError(`nodes "${name}" not found`);
      const measured = nodes.flatMap((n) => { const u = usageOf(n); return u ? [{ n, u }] : []; });
      if (measured.length === 0) throw new CliError('metrics not available yet (agents report usage every 10s)');
      const rows = order(measured, (m) => m.u).map(({ n, u }) => {
        const alloc = n.status?.allocatable ?? {};
        return [n.metadata?.name ?? '', formatMilli(u.cpuMilli), percent(u.cpuMilli, parseCpuMilli(alloc['cpu'])), formatMi(u.memory), percent(u.memory, parseBytes(alloc['memory']))];
      });
      ctx.out(`${renderTable(['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], rows, { noHeaders: flags['no-headers'] }).join('\n')}\n`);
      return 0;
    }
    if (info.resource !== 'pods') throw new UsageError(`top supports nodes and pods, not ${info.resource}`);
    const all = flags['all-namespaces'];
    let pods = (await client.listAll<Pod & KubeObject>('pods', { namespace: all ? '' : ctx.namespace, ...sel })).items;
    if (name) pods = pods.filter((p) => p.metadata?.name === name);
    if (name && pods.length === 0) throw new CliError(`pods "${name}" not found`);
    const byPod = podUsageFromNodes((await client.listAll<Node & KubeObject>('nodes')).items);
    const measured = pods.flatMap((p) => {
      const u = byPod.get(`${p.metadata?.namespace}/${p.metadata?.name}`) ?? usageOf(p);
      return u ? [{ p, u }] : [];
    });
    if (measured.length === 0) {
      if (pods.length === 0) { ctx.err(`No resources found in ${ctx.namespace} namespace.\n`); return 0; }
      throw new CliError(`metrics not available yet for pod ${pods[0]!.metadata?.namespace}/${pods[0]!.metadata?.name}`);
    }
    const headers = [...(all ? ['NAMESPACE'] : []), 'NAME', ...(flags.containers ? ['CONTAINER'] : []), 'CPU(cores)', 'MEMORY(bytes)'];
    const rows: string[][] = [];
    for (const { p, u } of order(measured, (m) => m.u)) {
      const ns = all ? [p.metadata?.namespace ?? ''] : [];
      if (flags.containers) {
        for (const c of u.containers ?? []) rows.push([...ns, p.metadata?.name ?? '', c.name, formatMilli(c.cpuMilli), formatMi(c.memory)]);
      } else {
        rows.push([...ns, p.metadata?.name ?? '', formatMilli(u.cpuMilli), formatMi(u.memory)]);
      }
    }
    ctx.out(`${renderTable(headers, rows, { noHeaders: flags['no-headers'] }).join('\n')}\n`);
    return 0;
  },
});
