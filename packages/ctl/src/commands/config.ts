// `tctl config view | set KEY VALUE`: the effective configuration and where each part
// comes from (flag, $TCTL_SERVER, $TUGBOAT_HOME/config.json).
import { defineCommand, defineGroup } from '../command.js';
import { configPath, readConfig, resolveServer, writeConfig, type TctlConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { parseOutput, toJson, toYaml } from '../printers/output.js';

const view = defineCommand({
  name: 'view',
  summary: 'Show the configuration tctl uses',
  usage: 'tctl config view [-o yaml|json]',
  flags: { output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml (default)|json' } },
  async run(ctx, { flags }) {
    const output = parseOutput(flags.output ?? 'yaml', ['yaml', 'json']);
    const file = readConfig(ctx.env);
    const { server, source } = resolveServer(ctx.options.server, ctx.env);
    const doc = {
      configFile: configPath(ctx.env),
      server,
      serverFrom: { flag: '--server', env: '$TCTL_SERVER', config: 'config file', default: 'default' }[source],
      namespace: ctx.namespace,
      ...(file.httpServer ? { httpServer: file.httpServer } : {}),
    };
    ctx.out(output.kind === 'json' ? toJson(doc) : toYaml(doc));
  },
});

const KEYS = ['server', 'namespace'] as const;

const set = defineCommand({
  name: 'set',
  summary: 'Set a value in $TUGBOAT_HOME/config.json (server, namespace)',
  usage: 'tctl config set server|namespace VALUE',
  flags: {},
  async run(ctx, { positionals }) {
    const [key, value, ...rest] = positionals;
    if (!key || value === undefined || rest.length) throw new UsageError('usage: tctl config set server|namespace VALUE');
    if (!(KEYS as readonly string[]).includes(key)) throw new UsageError(`unknown key "${key}": one of ${KEYS.join(', ')}`);
    const config: TctlConfig = { ...readConfig(ctx.env), [key]: value };
    writeConfig(ctx.env, config);
    ctx.out(`${key} set to "${value}" in ${configPath(ctx.env)}\n`);
  },
});

export const configCommand = defineGroup('config', 'Show or change tctl\'s configuration', [view, set]);
