// `tctl version`: the client's version and the API server's (kubectl's layout).
import { readFileSync } from 'node:fs';
import { defineCommand } from '../command.js';
import { SilentExit } from '../errors.js';
import { parseOutput, toJson, toYaml } from '../printers/output.js';

/** Set by scripts/build-tctl-bundle.mjs: a bundle has no package.json beside it. */
declare const __TCTL_VERSION__: string | undefined;

export function clientVersion(): string {
  if (typeof __TCTL_VERSION__ === 'string') return __TCTL_VERSION__;
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return `v${pkg.version ?? '0.0.0'}`;
  } catch {
    return 'v0.0.0';
  }
}

export const versionCommand = defineCommand({
  name: 'version',
  summary: 'Print the client and server versions',
  usage: 'tctl version [--client] [-o yaml|json]',
  flags: {
    client: { type: 'boolean', description: 'the client version only (no server needed)' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json' },
  },
  async run(ctx, { flags }) {
    const output = parseOutput(flags.output, ['yaml', 'json']);
    const client = { gitVersion: clientVersion(), platform: `${process.platform}/${process.arch}`, nodeVersion: process.version };
    let server: { gitVersion: string; gitCommit: string; platform: string } | undefined;
    let error: string | undefined;
    if (!flags.client) {
      try {
        const v = await ctx.client().version();
        server = { gitVersion: v.version.startsWith('v') ? v.version : `v${v.version}`, gitCommit: v.gitCommit, platform: v.platform };
      } catch (e) {
        error = ctx.errorLine(e);
      }
    }
    const doc = { clientVersion: client, ...(server ? { serverVersion: server } : {}) };
    if (output.kind === 'json') ctx.out(toJson(doc));
    else if (output.kind === 'yaml') ctx.out(toYaml(doc));
    else {
      ctx.out(`Client Version: ${client.gitVersion}\n`);
      if (server) ctx.out(`Server Version: ${server.gitVersion}\n`);
    }
    if (error) {
      ctx.err(`error: ${error}\n`);
      throw new SilentExit(1);
    }
    return 0;
  },
});
