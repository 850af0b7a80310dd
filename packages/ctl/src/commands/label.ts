// `tctl label|annotate KIND NAME key=value… key-`: as kubectl's, changing an existing value
// needs --overwrite; `key-` removes a key.
import { ApiError, qualifiedSingular, type KubeObject } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { parseResourceArgs } from '../resource-args.js';
import { updateWithRetry } from './util.js';

export interface MapChange {
  set: Record<string, string>;
  remove: string[];
}

/** "a=b", "c-" → what to set and what to remove. */
export function parseMapChanges(args: readonly string[]): MapChange {
  const change: MapChange = { set: {}, remove: [] };
  for (const a of args) {
    if (a.endsWith('-') && !a.includes('=')) change.remove.push(a.slice(0, -1));
    else if (a.includes('=')) {
      const i = a.indexOf('=');
      change.set[a.slice(0, i)] = a.slice(i + 1);
    } else throw new UsageError(`"${a}" is not key=value or key-`);
  }
  return change;
}

/** Applies a change to a map; throws when a value would change without overwrite. Returns whether anything changed. */
export function applyMapChange(map: Record<string, string>, change: MapChange, overwrite: boolean): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(change.set)) {
    if (k in map && map[k] !== v && !overwrite) throw new CliError(`'${k}' already has a value (${map[k]}), and --overwrite is false`);
    if (map[k] !== v) { map[k] = v; changed = true; }
  }
  for (const k of change.remove) {
    if (k in map) { delete map[k]; changed = true; }
  }
  return changed;
}

function mapCommand(field: 'labels' | 'annotations') {
  const verb = field === 'labels' ? 'label' : 'annotate';
  return defineCommand({
    name: verb,
    summary: field === 'labels' ? 'Add, change or remove labels of objects' : 'Add, change or remove annotations of objects',
    usage: `tctl ${verb} KIND NAME… | KIND/NAME… key=value… key- [--overwrite]`,
    flags: {
      overwrite: { type: 'boolean', description: 'allow changing existing values' },
      selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'every object of the kind with these labels' },
      all: { type: 'boolean', description: 'every object of the kind in the namespace' },
    },
    async run(ctx, { flags, positionals }) {
      const split = positionals.findIndex((p) => p.includes('=') || (p.endsWith('-') && p.length > 1 && !p.includes('/')));
      if (split < 1) throw new UsageError(`usage: tctl ${verb} KIND NAME key=value…`);
      const changes = parseMapChanges(positionals.slice(split));
      const requests = parseResourceArgs(positionals.slice(0, split), verb);
      const client = ctx.client();
      let failed = 0;
      for (const r of requests) {
        const ns = r.info.namespaced ? ctx.namespace : '';
        let names = r.names;
        if (names.length === 0) {
          if (!flags.selector && !flags.all) throw new UsageError('give NAME, -l SELECTOR or --all');
          names = (await client.listAll(r.info.resource, { namespace: ns, ...(flags.selector ? { labelSelector: flags.selector } : {}) })).items.map((o) => o.metadata?.name ?? '');
        }
        for (const name of names) {
          try {
            const { changed } = await updateWithRetry<KubeObject>(client, r.info, ns, name, (obj) => {
              obj.metadata = { ...(obj.metadata ?? {}) };
              const map = { ...(obj.metadata[field] ?? {}) };
              const c = applyMapChange(map, changes, flags.overwrite);
              obj.metadata[field] = map;
              return c;
            });
            ctx.out(`${qualifiedSingular(r.info)}/${name} ${changed ? (field === 'labels' ? 'labeled' : 'annotated') : `not ${field === 'labels' ? 'labeled' : 'annotated'}`}\n`);
          } catch (e) {
            if (e instanceof ApiError && e.reason === 'NotFound') { ctx.err(`error: ${r.info.resource} "${name}" not found\n`); failed++; continue; }
            throw e;
          }
        }
      }
      return failed ? 1 : 0;
    },
  });
}

export const labelCommand = mapCommand('labels');
export const annotateCommand = mapCommand('annotations');
