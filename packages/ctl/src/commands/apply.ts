// `tctl apply -f FILE|DIR|-`: sends each document to the API server's declarative Apply and
// prints what happened to it (`pod/web created`, `deployment.apps/api unchanged`). A bad
// document gets its one-line error and the rest go on; the exit code is 1 if any failed.
import { ApiError, LAST_APPLIED_ANNOTATION, defaultObject, kindInfo, qualifiedSingular, type ApplyResult, type KindInfo, type KubeObject } from '@tugboat/api';
import { defineCommand } from '../command.js';
import type { Context } from '../context.js';
import { UsageError, failsEveryRequest } from '../errors.js';
import { readManifests, type ManifestDoc } from '../manifests.js';
import { formatObjects, parseOutput } from '../printers/output.js';

export type DryRun = 'none' | 'client' | 'server';

export function parseDryRun(value: string | undefined): DryRun {
  switch (value) {
    case undefined: case 'none': case 'false': return 'none';
    case 'client': case 'true': return 'client';
    case 'server': return 'server';
    default: throw new UsageError(`invalid --dry-run value "${value}": must be "none", "server", or "client"`);
  }
}

export const FILE_FLAGS = {
  filename: { type: 'strings', short: 'f', value: 'FILE', description: 'file, directory or - (stdin) with manifests; repeatable' },
  recursive: { type: 'boolean', short: 'R', description: 'read directories given with -f recursively' },
} as const;

/** An object ready to send: its kind's registry entry, and the namespace filled in. */
export interface PlacedObject { object: KubeObject; info: KindInfo }

/**
 * Where a document's object goes: checks its kind against the registry and fills in the
 * namespace (from -n or "default") as kubectl does. Returns an error line instead on a
 * mismatch.
 */
export function placeObject(doc: ManifestDoc & { object: KubeObject }, ctx: Context): PlacedObject | { error: string } {
  const obj = structuredClone(doc.object);
  const where = `${doc.source} (document ${doc.index})`;
  const info = kindInfo(obj.kind ?? '');
  if (!info || info.apiVersion !== obj.apiVersion) {
    return { error: `${where}: no matches for kind "${obj.kind}" in version "${obj.apiVersion}"` };
  }
  obj.metadata = { ...(obj.metadata ?? {}) };
  if (info.namespaced) {
    const ns = obj.metadata.namespace;
    if (ns && ctx.namespaceExplicit && ns !== ctx.namespace) {
      return { error: `${where}: the namespace from the provided object "${ns}" does not match the namespace "${ctx.namespace}". You must pass '--namespace=${ns}' to perform this operation.` };
    }
    if (!ns) obj.metadata.namespace = ctx.namespace;
  } else {
    delete obj.metadata.namespace;
  }
  return { object: obj, info };
}

/** What `apply -f` and `create -f` parse: the -f files, --dry-run and -o. */
export interface ManifestArgs {
  flags: { filename: string[]; recursive: boolean; 'dry-run': string | undefined; output: string | undefined };
  positionals: readonly string[];
}

/**
 * The body of `apply -f` and `create -f`, which differ only in `send`: each document is read,
 * placed and sent on its own and its line printed (`pod/web created`), so a bad document gets
 * its one-line error while the rest go on; with -o the objects are printed at the end. The
 * exit code is 1 if any document failed.
 */
export async function sendManifests(
  ctx: Context,
  { flags, positionals }: ManifestArgs,
  send: (placed: PlacedObject, dryRun: DryRun) => Promise<{ object: KubeObject; result: string }>,
): Promise<number> {
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')} (use -f FILE)`);
  const dryRun = parseDryRun(flags['dry-run']);
  const output = parseOutput(flags.output, ['yaml', 'json', 'name']);
  const docs = await readManifests(flags.filename, { recursive: flags.recursive, cwd: ctx.io.cwd, readStdin: ctx.io.readStdin });
  let failed = 0;
  const sent: KubeObject[] = [];
  const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  for (const doc of docs) {
    if (doc.error !== undefined || !doc.object) {
      ctx.err(`error: ${doc.error ?? 'empty document'}\n`);
      failed++;
      continue;
    }
    const placed = placeObject({ ...doc, object: doc.object }, ctx);
    if ('error' in placed) {
      ctx.err(`error: ${placed.error}\n`);
      failed++;
      continue;
    }
    try {
      const { object, result } = await send(placed, dryRun);
      if (output.kind === 'table') ctx.out(`${qualifiedSingular(placed.info)}/${object.metadata?.name ?? placed.object.metadata?.name ?? ''} ${result}${suffix}\n`);
      else sent.push(object);
    } catch (e) {
      // With the server gone (or refusing us) there is no point trying the other documents.
      if (failsEveryRequest(e)) throw e;
      ctx.err(`error: ${ctx.errorLine(e)}\n`);
      failed++;
    }
  }
  if (output.kind !== 'table' && sent.length) ctx.out(formatObjects(sent, output));
  return failed ? 1 : 0;
}

async function dryRunClient(ctx: Context, obj: KubeObject, info: KindInfo): Promise<{ object: KubeObject; result: ApplyResult }> {
  const local = defaultObject(obj);
  let existing: KubeObject | undefined;
  try {
    existing = await ctx.client().tryGet(info.resource, obj.metadata?.namespace ?? '', obj.metadata?.name ?? '');
  } catch (e) {
    // A client dry run is a local affair: without a server, every object is new.
    if (!(e instanceof ApiError && e.reason === 'Unavailable')) throw e;
  }
  if (!existing) return { object: local, result: 'created' };
  const last = existing.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  const unchanged = last !== undefined && stableJson(JSON.parse(last)) === stableJson(obj);
  return { object: local, result: unchanged ? 'unchanged' : 'configured' };
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export const applyCommand = defineCommand({
  name: 'apply',
  summary: 'Create or update objects from manifests (declaratively, as kubectl apply)',
  usage: 'tctl apply -f FILE|DIR|- [-R] [--dry-run=client|server] [-o yaml|json|name]',
  details: 'Examples:\n  tctl apply -f manifests/demo.yaml\n  tctl apply -R -f manifests/\n  cat pod.yaml | tctl apply -f -',
  flags: {
    ...FILE_FLAGS,
    'dry-run': { type: 'string', value: 'client|server', bareValue: 'client', description: 'only show what would happen: client (local defaulting) or server (full validation, nothing stored)' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json|name' },
  },
  run: (ctx, args) => sendManifests(ctx, args, (placed, dryRun) => (dryRun === 'client'
    ? dryRunClient(ctx, placed.object, placed.info)
    : ctx.client().apply(placed.object, { dryRun: dryRun === 'server' }))),
});
