// `tctl api-resources`: the kinds this cluster serves, with the names tctl accepts for them.
import { KINDS } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { renderTable } from '../printers/table.js';

export const apiResourcesCommand = defineCommand({
  name: 'api-resources',
  summary: 'List the kinds Tugboat serves and their short names',
  usage: 'tctl api-resources',
  flags: {},
  async run(ctx) {
    const rows = [...KINDS].sort((a, b) => a.resource.localeCompare(b.resource))
      .map((k) => [k.resource, k.shortNames.join(','), k.apiVersion, String(k.namespaced), k.kind]);
    ctx.out(`${renderTable(['NAME', 'SHORTNAMES', 'APIVERSION', 'NAMESPACED', 'KIND'], rows).join('\n')}\n`);
  },
});
