// `tctl create -f FILE`: creates each document, failing (per document) when it exists —
// unlike apply, which updates.
import { ApiError, defaultObject, qualifiedSingular, type KubeObject } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { UsageError, errorLine } from '../errors.js';
import { readManifests } from '../manifests.js';
import { formatObjects, parseOutput } from '../printers/output.js';
import { FILE_FLAGS, parseDryRun, placeObject } from './apply.js';

export const createCommand = defineCommand({
  name: 'create',
  summary: 'Create objects from manifests (an error if they exist)',
  usage: 'tctl create -f FILE|DIR|- [-R] [--dry-run=client|server] [-o yaml|json|name]',
  flags: {
    ...FILE_FLAGS,
    'dry-run': { type: 'string', value: 'client|server', bareValue: 'client', description: 'only show what would happen' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json|name' },
  },
  async run(ctx, { flags, positionals }) {
    if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')} (use -f FILE)`);
    const dryRun = parseDryRun(flags['dry-run']);
    const output = parseOutput(flags.output, ['yaml', 'json', 'name']);
    const docs = await readManifests(flags.filename, { recursive: flags.recursive, cwd: ctx.io.cwd, readStdin: ctx.io.readStdin });
    const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
    const created: KubeObject[] = [];
    let failed = 0;
    for (const doc of docs) {
      if (!doc.object) { ctx.err(`error: ${doc.error ?? 'empty document'}\n`); failed++; continue; }
      const placed = placeObject({ ...doc, object: doc.object }, ctx);
      if ('error' in placed) { ctx.err(`error: ${placed.error}\n`); failed++; continue; }
      try {
        const obj = dryRun === 'client' ? defaultObject(placed.object) : await ctx.client().create(placed.object, { dryRun: dryRun === 'server' });
        if (output.kind === 'table') ctx.out(`${qualifiedSingular(placed.info)}/${obj.metadata?.name ?? ''} created${suffix}\n`);
        else created.push(obj);
      } catch (e) {
        if (e instanceof ApiError && e.reason === 'Unavailable' && e.message.startsWith('cannot reach')) throw e;
        ctx.err(`error: ${errorLine(e, ctx.server)}\n`);
        failed++;
      }
    }
    if (output.kind !== 'table' && created.length) ctx.out(formatObjects(created, output));
    return failed ? 1 : 0;
  },
});
