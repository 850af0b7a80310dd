// `tctl get KIND[,KIND…] [NAME…]`: tables as kubectl prints them, or yaml/json/name/jsonpath;
// `-w` lists, then watches from the list's resourceVersion and prints a row per change.
import { ApiError, objectKey, qualifiedResource, sleep, type KindInfo, type KubeObject, type Pod, type WatchEventType } from '@tugboat/api';
import { defineCommand } from '../command.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { parseResourceArgs, type ResourceRequest } from '../resource-args.js';
import { compileJsonPath } from '../printers/jsonpath.js';
import { formatObjects, parseOutput, toJson, toYaml, objectName, type OutputFormat } from '../printers/output.js';
import { columnWidths, formatRow, renderTable } from '../printers/table.js';
import { TablePrinter, podsByNode } from '../printers/table-printer.js';

export const SELECTOR_FLAGS = {
  'all-namespaces': { type: 'boolean', short: 'A', description: 'across all namespaces' },
  selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'label selector, e.g. app=web,tier in (a,b),!legacy' },
  'field-selector': { type: 'string', value: 'SELECTOR', description: 'field selector, e.g. spec.nodeName=node-1,status.phase!=Running' },
} as const;

interface Fetched {
  request: ResourceRequest;
  items: KubeObject[];
  resourceVersion: string;
}

/** Lists (or gets by name) the objects of each request; NotFound names are reported and skipped. */
async function fetchAll(ctx: Context, requests: readonly ResourceRequest[], opts: { allNamespaces: boolean; labelSelector?: string | undefined; fieldSelector?: string | undefined; ignoreNotFound?: boolean }): Promise<{ fetched: Fetched[]; errors: number }> {
  const client = ctx.client();
  const fetched: Fetched[] = [];
  let errors = 0;
  for (const request of requests) {
    const ns = request.info.namespaced ? (opts.allNamespaces ? '' : ctx.namespace) : '';
    if (request.names.length) {
      const items: KubeObject[] = [];
      for (const name of request.names) {
        try {
          items.push(await client.get(request.info.resource, ns, name));
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'NotFound') {
            if (opts.ignoreNotFound) continue;
            ctx.err(`error: ${qualifiedResource(request.info)} "${name}" not found\n`);
            errors++;
            continue;
          }
          throw e;
        }
      }
      fetched.push({ request, items, resourceVersion: '' });
    } else {
      const res = await client.listAll(request.info.resource, {
        namespace: ns,
        ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
        ...(opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {}),
      });
      fetched.push({ request, items: res.items, resourceVersion: res.resourceVersion });
    }
  }
  return { fetched, errors };
}

function noResources(ctx: Context, requests: readonly ResourceRequest[], allNamespaces: boolean): string {
  const namespaced = requests.every((r) => r.info.namespaced);
  return namespaced && !allNamespaces ? `No resources found in ${ctx.namespace} namespace.` : 'No resources found';
}

interface PrintOptions {
  wide: boolean;
  allNamespaces: boolean;
  showKind: boolean;
  showLabels: boolean;
  labelColumns: string[];
  noHeaders: boolean;
  sortBy?: ((data: unknown) => string) | undefined;
}

async function printerFor(ctx: Context, info: KindInfo, opts: PrintOptions): Promise<TablePrinter> {
  let byNode: Map<string, Pod[]> | undefined;
  // `get nodes -o wide` shows requests per node: it needs the pods too.
  if (info.resource === 'nodes' && opts.wide) byNode = podsByNode((await ctx.client().listAll<Pod & KubeObject>('pods')).items);
  return new TablePrinter({ info, wide: opts.wide, allNamespaces: opts.allNamespaces, showKind: opts.showKind, showLabels: opts.showLabels, labelColumns: opts.labelColumns, ...(byNode ? { podsByNode: byNode } : {}) });
}

function sortItems(printer: TablePrinter, items: KubeObject[], sortBy: PrintOptions['sortBy']): KubeObject[] {
  if (!sortBy) return printer.sort(items);
  const key = (o: KubeObject): string => sortBy(o);
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const na = Number(ka);
    const nb = Number(kb);
    if (ka !== '' && kb !== '' && !Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
    return ka.localeCompare(kb);
  });
}

export const getCommand = defineCommand({
  name: 'get',
  summary: 'Show objects as tables, yaml, json or names; -w follows changes',
  usage: 'tctl get KIND[,KIND…] [NAME…] | KIND/NAME… [-n NS | -A] [-l SELECTOR] [--field-selector S] [-o wide|yaml|json|name|jsonpath=T] [-w]',
  details: 'Kinds: pods (po), deployments (deploy), replicasets (rs), daemonsets (ds), statefulsets (sts), replicationcontrollers (rc), controllerrevisions, nodes (no), namespaces (ns), events (ev), configmaps (cm), secrets, leases, services (svc), endpoints (ep), endpointslices, jobs, cronjobs (cj); "all" for pods, replicationcontrollers, daemonsets, replicasets, deployments, statefulsets, jobs and cronjobs.\n\nExamples:\n  tctl get pods -o wide\n  tctl get deploy,rs,pods -A\n  tctl get pods -l app=web -w',
  flags: {
    ...SELECTOR_FLAGS,
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'wide|yaml|json|name|jsonpath=TEMPLATE' },
    watch: { type: 'boolean', short: 'w', description: 'after listing, print each change as it happens' },
    'watch-only': { type: 'boolean', description: 'print changes only, not the current objects' },
    'output-watch-events': { type: 'boolean', description: 'with -w, show the event type (ADDED, MODIFIED, DELETED)' },
    'show-labels': { type: 'boolean', description: 'add a LABELS column' },
    'label-columns': { type: 'strings', short: 'L', value: 'KEY', description: 'add a column with the value of this label; repeatable' },
    'show-kind': { type: 'boolean', description: 'prefix names with their kind (pod/web)' },
    'no-headers': { type: 'boolean', description: 'leave out the header line' },
    'sort-by': { type: 'string', value: 'JSONPATH', description: 'sort rows by a field, e.g. .metadata.creationTimestamp' },
    'ignore-not-found': { type: 'boolean', description: 'names that do not exist are not an error' },
  },
  async run(ctx, { flags, positionals }) {
    const output = parseOutput(flags.output);
    const requests = parseResourceArgs(positionals, 'get');
    const named = requests.some((r) => r.names.length > 0);
    if (named && (flags.selector || flags['field-selector'])) throw new UsageError('names and selectors (-l, --field-selector) cannot be used together');
    const allNamespaces = flags['all-namespaces'];
    const sortByFlag = flags['sort-by'];
    const sortBy = sortByFlag ? compileJsonPath(sortByFlag.includes('{') ? sortByFlag : `{${sortByFlag}}`) : undefined;
    const printOpts: PrintOptions = {
      wide: output.kind === 'table' && output.wide,
      allNamespaces,
      showKind: flags['show-kind'] || requests.length > 1,
      showLabels: flags['show-labels'],
      labelColumns: flags['label-columns'].flatMap((l) => l.split(',')).filter(Boolean),
      noHeaders: flags['no-headers'],
      sortBy,
    };

    if (flags.watch || flags['watch-only']) {
      if (requests.length !== 1) throw new UsageError('you may only specify a single resource type with -w');
      return watchCommand(ctx, requests[0]!, output, printOpts, {
        watchOnly: flags['watch-only'],
        events: flags['output-watch-events'],
        labelSelector: flags.selector,
        fieldSelector: flags['field-selector'],
      });
    }

    const { fetched, errors: notFoundErrors } = await fetchAll(ctx, requests, { allNamespaces, labelSelector: flags.selector, fieldSelector: flags['field-selector'], ignoreNotFound: flags['ignore-not-found'] });
    const total = fetched.reduce((n, f) => n + f.items.length, 0);

    if (output.kind !== 'table') {
      const all = fetched.flatMap((f) => f.items);
      const single = requests.length === 1 && requests[0]!.names.length === 1;
      if (single && all.length === 0) return notFoundErrors ? 1 : 0;
      if (output.kind === 'name' && all.length === 0 && !named) ctx.err(`${noResources(ctx, requests, allNamespaces)}\n`);
      else ctx.out(formatObjects(all, output, !single));
      return notFoundErrors ? 1 : 0;
    }

    if (total === 0) {
      if (!named) ctx.err(`${noResources(ctx, requests, allNamespaces)}\n`);
      return notFoundErrors ? 1 : 0;
    }
    const now = Date.now();
    const blocks: string[] = [];
    for (const f of fetched) {
      if (f.items.length === 0) continue;
      const printer = await printerFor(ctx, f.request.info, printOpts);
      const rows = sortItems(printer, f.items, printOpts.sortBy).map((o) => printer.row(o, now));
      blocks.push(renderTable(printer.headers(), rows, { noHeaders: printOpts.noHeaders }).join('\n'));
    }
    ctx.out(`${blocks.join('\n\n')}\n`);
    return notFoundErrors ? 1 : 0;
  },
});

interface WatchOptions {
  watchOnly: boolean;
  events: boolean;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

/** Lists once, prints, then streams changes until interrupted. Relists when the watch expires. */
/** How long `get -w` keeps trying the other API servers before it gives up. */
const WATCH_RESUME_MS = 30_000;

async function watchCommand(ctx: Context, request: ResourceRequest, output: OutputFormat, printOpts: PrintOptions, opts: WatchOptions): Promise<number> {
  const client = ctx.client();
  const info = request.info;
  const ns = info.namespaced ? (printOpts.allNamespaces ? '' : ctx.namespace) : '';
  if (request.names.length > 1) throw new UsageError('watch is only supported on individual resources and resource collections, but more than one name was given');
  const fieldSelector = [opts.fieldSelector, request.names[0] ? `metadata.name=${request.names[0]}` : undefined].filter(Boolean).join(',');
  const selectors = {
    namespace: ns,
    ...(opts.labelSelector ? { labelSelector: opts.labelSelector } : {}),
    ...(fieldSelector ? { fieldSelector } : {}),
  };
  const printer = await printerFor(ctx, info, printOpts);
  let widths: number[] | undefined;
  let headerPrinted = printOpts.noHeaders;

  const emit = (type: WatchEventType, obj: KubeObject): void => {
    switch (output.kind) {
      case 'table': {
        const row = printer.row(obj, Date.now());
        const headers = printer.headers();
        if (opts.events) { row.unshift(type); headers.unshift('EVENT'); }
        widths ??= columnWidths(headers, opts.events ? [row, ['MODIFIED']] : [row]);
        if (!headerPrinted) { ctx.out(`${formatRow(headers, widths)}\n`); headerPrinted = true; }
        ctx.out(`${formatRow(row, widths)}\n`);
        return;
      }
      case 'json': ctx.out(toJson(opts.events ? { type, object: obj } : obj)); return;
      case 'yaml': ctx.out(`${toYaml(opts.events ? { type, object: obj } : obj)}---\n`); return;
      case 'name': ctx.out(`${opts.events ? `${type} ` : ''}${objectName(obj)}\n`); return;
      case 'jsonpath': ctx.out(output.render(obj)); return;
    }
  };

  // What we last printed per object, to replay the difference after a relist.
  const known = new Map<string, string>();
  const list = async (initial: boolean): Promise<string> => {
    const res = await client.listAll(info.resource, selectors);
    const items = sortItems(printer, res.items, printOpts.sortBy);
    if (initial && output.kind === 'table' && !opts.watchOnly && items.length) {
      const now = Date.now();
      const headers = printer.headers();
      const rows = items.map((o) => printer.row(o, now));
      if (opts.events) { headers.unshift('EVENT'); rows.forEach((r) => r.unshift('ADDED')); }
      widths = columnWidths(headers, opts.events ? [...rows, ['MODIFIED']] : rows);
      if (!headerPrinted) { ctx.out(`${formatRow(headers, widths)}\n`); headerPrinted = true; }
      for (const r of rows) ctx.out(`${formatRow(r, widths)}\n`);
    } else if (initial && !opts.watchOnly) {
      for (const o of items) emit('ADDED', o);
    }
    const seen = new Set<string>();
    for (const o of items) {
      const key = objectKey(o);
      seen.add(key);
      const rv = o.metadata?.resourceVersion ?? '';
      if (!initial && known.get(key) !== rv) emit(known.has(key) ? 'MODIFIED' : 'ADDED', o);
      known.set(key, rv);
    }
    if (!initial) {
      for (const key of [...known.keys()]) {
        if (seen.has(key)) continue;
        const [a, b] = key.includes('/') ? key.split('/', 2) : ['', key];
        emit('DELETED', { apiVersion: info.apiVersion, kind: info.kind, metadata: { name: b ?? '', ...(a ? { namespace: a } : {}) } });
        known.delete(key);
      }
    }
    if (initial && items.length === 0 && !opts.watchOnly && (output.kind === 'table' || output.kind === 'name')) ctx.err(`${noResources(ctx, [request], printOpts.allNamespaces)}\n`);
    return res.resourceVersion;
  };

  let resourceVersion = await list(true);
  // With several API servers (HA) a broken watch resumes on the next from where it was, for
  // as long as some server answers within WATCH_RESUME_MS; with one, it ends as kubectl's.
  let failingSince: number | undefined;
  for (;;) {
    if (ctx.signal.aborted) return 0;
    const watch = client.watch(info.resource, { ...selectors, resourceVersion });
    const onAbort = (): void => watch.close();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const ev of watch) {
        if (ev.type === 'BOOKMARK') {
          resourceVersion = ev.object.metadata?.resourceVersion ?? resourceVersion;
          continue;
        }
        const key = objectKey(ev.object);
        if (ev.type === 'DELETED') known.delete(key);
        else known.set(key, ev.object.metadata?.resourceVersion ?? '');
        resourceVersion = ev.object.metadata?.resourceVersion ?? resourceVersion;
        failingSince = undefined;
        emit(ev.type, ev.object);
      }
      // The server ended the stream cleanly (a timeout, a restart): watch again from where
      // we were; if the server is really gone the next call says so.
      if (ctx.signal.aborted) return 0;
      continue;
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'Expired') {
        resourceVersion = await list(false);
        continue;
      }
      if (ctx.signal.aborted) return 0;
      if (e instanceof ApiError && e.reason === 'Unavailable' && client.addresses.length > 1 && Date.now() - (failingSince ??= Date.now()) < WATCH_RESUME_MS) {
        await sleep(250);
        continue;
      }
      if (e instanceof CliError) throw e;
      throw new CliError(ctx.errorLine(e));
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }
}
