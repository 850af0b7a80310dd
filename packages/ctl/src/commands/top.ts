// `tctl top nodes|pods`: cpu and memory in use, from the resource metrics API (metrics.k8s.io
// NodeMetrics and PodMetrics, which the API server makes from the agents' reports every 10 s),
// with percentages of each node's allocatable — kubectl top's columns.
import { NODE_METRICS_RESOURCE, POD_METRICS_RESOURCE, type KubeObject, type Node, type NodeMetrics, type PodMetrics } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { parseBytes, parseCpuMilli, percent } from '../printers/resources.js';
import { renderTable } from '../printers/table.js';
import { kindOrThrow } from '../resource-args.js';

/** What the metrics API says an object uses: thousandths of a core, bytes. */
export interface Usage {
  cpuMilli: number;
  memory: number;
  containers?: { name: string; cpuMilli: number; memory: number }[];
}

/** A NodeMetrics' usage. Pure. */
export function nodeUsage(m: NodeMetrics): Usage {
  return { cpuMilli: parseCpuMilli(m.usage.cpu), memory: parseBytes(m.usage.memory) };
}

/** A PodMetrics' usage: its containers' sum, and each container. Pure. */
export function podUsage(m: PodMetrics): Usage {
  const containers = m.containers.map((c) => ({ name: c.name, cpuMilli: parseCpuMilli(c.usage.cpu), memory: parseBytes(c.usage.memory) }));
  return {
    cpuMilli: containers.reduce((a, c) => a + c.cpuMilli, 0),
    memory: containers.reduce((a, c) => a + c.memory, 0),
    containers,
  };
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
      let metrics = (await client.listAll<NodeMetrics>(NODE_METRICS_RESOURCE, sel)).items;
      if (name) metrics = metrics.filter((m) => m.metadata.name === name);
      if (metrics.length === 0) {
        if (name && !(await client.tryGet('nodes', '', name))) throw new CliError(`nodes "${name}" not found`);
        throw new CliError('metrics not available yet (agents report usage every 10s)');
      }
      const nodes = new Map((await client.listAll<Node & KubeObject>('nodes', sel)).items.map((n) => [n.metadata?.name ?? '', n]));
      const measured = metrics.map((m) => ({ m, u: nodeUsage(m) }));
      const rows = order(measured, (x) => x.u).map(({ m, u }) => {
        const alloc = nodes.get(m.metadata.name ?? '')?.status?.allocatable ?? {};
        return [m.metadata.name ?? '', formatMilli(u.cpuMilli), percent(u.cpuMilli, parseCpuMilli(alloc['cpu'])), formatMi(u.memory), percent(u.memory, parseBytes(alloc['memory']))];
      });
      ctx.out(`${renderTable(['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%'], rows, { noHeaders: flags['no-headers'] }).join('\n')}\n`);
      return 0;
    }
    if (info.resource !== 'pods') throw new UsageError(`top supports nodes and pods, not ${info.resource}`);
    const all = flags['all-namespaces'];
    const namespace = all ? '' : ctx.namespace;
    let metrics = (await client.listAll<PodMetrics>(POD_METRICS_RESOURCE, { namespace, ...sel })).items;
    if (name) metrics = metrics.filter((m) => m.metadata.name === name);
    const measured = metrics.map((p) => ({ p, u: podUsage(p) }));
    if (measured.length === 0) {
      if (name) {
        if (!(await client.tryGet('pods', ctx.namespace, name))) throw new CliError(`pods "${name}" not found`);
        throw new CliError(`metrics not available yet for pod ${ctx.namespace}/${name}`);
      }
      const pods = (await client.list('pods', { namespace, ...sel, limit: 1 })).items;
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
