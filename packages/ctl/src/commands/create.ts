// `tctl create -f FILE`: creates each document, failing (per document) when it exists —
// unlike apply, which updates. `tctl create token SA`: a ServiceAccount token (TokenRequest),
// as kubectl's sub-command; the word `token` picks it, so `create -f` is unchanged.
import { ApiError, defaultObject, type TokenRequestResult, type TokenRequestSpec } from '@tugboat/api';
import { defineCommand, scanLeadingFlags, type Command } from '../command.js';
import { durationArg } from '../args.js';
import { CliError, UsageError, failsEveryRequest } from '../errors.js';
import { parseOutput, toJson, toYaml } from '../printers/output.js';
import { FILE_FLAGS, sendManifests } from './apply.js';
import { createJob } from './create-job.js';
import { createCronJob } from './create-cronjob.js';

const CREATE_SUMMARY = 'Create objects from manifests (an error if they exist), or a ServiceAccount token';

const fromFiles = defineCommand({
  name: 'create',
  summary: CREATE_SUMMARY,
  usage: 'tctl create -f FILE|DIR|- [-R] [--dry-run=client|server] [-o yaml|json|name]',
  details: 'Sub-commands:\n  token SERVICE_ACCOUNT   Request a ServiceAccount token (see \'tctl create token --help\')\n  job NAME --image=IMG    Create a Job (see \'tctl create job --help\')\n  cronjob NAME --image=IMG --schedule=SPEC   Create a CronJob (see \'tctl create cronjob --help\')',
  flags: {
    ...FILE_FLAGS,
    'dry-run': { type: 'string', value: 'client|server', bareValue: 'client', description: 'only show what would happen' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json|name' },
  },
  run: (ctx, args) => sendManifests(ctx, args, async (placed, dryRun) => ({
    object: dryRun === 'client' ? defaultObject(placed.object) : await ctx.client().create(placed.object, { dryRun: dryRun === 'server' }),
    result: 'created',
  })),
});

/** Kinds a token may be bound to, with their apiVersion (kubectl's list). */
const BOUND_KINDS: Readonly<Record<string, string>> = { Pod: 'v1', Secret: 'v1' };

const token = defineCommand({
  name: 'token',
  summary: 'Request a ServiceAccount token',
  usage: 'tctl create token SERVICE_ACCOUNT [-n NS] [--duration D] [--audience A]… [--bound-object-kind Pod --bound-object-name N [--bound-object-uid U]]',
  details: [
    'Prints the token (a signed JWT) and a newline: use it with `tctl --token`, or as a Bearer token.',
    'The server decides the lifetime when --duration is not given (1h); it refuses less than 10m and more than 48h.',
    '',
    'Examples:',
    '  tctl create token build-bot -n ci --duration 30m',
    '  tctl create token app --audience https://vault.example --bound-object-kind Pod --bound-object-name app-0',
  ].join('\n'),
  flags: {
    duration: { type: 'string', value: 'DURATION', description: 'requested lifetime (e.g. 10m, 1h); the server may shorten it' },
    audience: { type: 'strings', value: 'AUDIENCE', description: 'audience of the token (repeatable; default: the API server)' },
    'bound-object-kind': { type: 'string', value: 'KIND', description: `bind the token to an object of this kind (${Object.keys(BOUND_KINDS).join(', ')}); needs --bound-object-name` },
    'bound-object-name': { type: 'string', value: 'NAME', description: 'the object the token is bound to: it stops working when the object is gone' },
    'bound-object-uid': { type: 'string', value: 'UID', description: 'that object\'s UID (default: the existing object\'s)' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json: the whole TokenRequest' },
  },
  async run(ctx, { flags, positionals }) {
    const [name, ...more] = positionals;
    if (!name) throw new UsageError('service account name is required (usage: tctl create token SERVICE_ACCOUNT)');
    if (more.length) throw new UsageError(`unexpected arguments: ${more.join(' ')}`);
    const output = parseOutput(flags.output, ['yaml', 'json']);
    const spec: TokenRequestSpec = {};
    if (flags.duration !== undefined) {
      const ms = durationArg(flags.duration);
      if (ms % 1000 !== 0) throw new UsageError('--duration cannot be expressed in units less than seconds');
      if (ms > 0) spec.expirationSeconds = ms / 1000;
    }
    if (flags.audience.some((a) => !a)) throw new UsageError('--audience must not be an empty string');
    if (flags.audience.length) spec.audiences = [...flags.audience];
    const kind = flags['bound-object-kind'];
    if (!kind) {
      if (flags['bound-object-name']) throw new UsageError('--bound-object-name can only be set if --bound-object-kind is provided');
      if (flags['bound-object-uid']) throw new UsageError('--bound-object-uid can only be set if --bound-object-kind is provided');
    } else {
      if (kind !== 'Pod' && kind !== 'Secret') throw new UsageError(`supported --bound-object-kind values are ${Object.keys(BOUND_KINDS).join(', ')}`);
      const boundName = flags['bound-object-name'];
      if (!boundName) throw new UsageError('--bound-object-name is required if --bound-object-kind is provided');
      const uid = flags['bound-object-uid'];
      spec.boundObjectRef = { kind, apiVersion: BOUND_KINDS[kind]!, name: boundName, ...(uid ? { uid } : {}) };
    }
    let result: TokenRequestResult;
    try {
      result = await ctx.client().createToken(ctx.namespace, name, spec);
    } catch (e) {
      // The server's own words after kubectl's prefix; an unreachable or unauthenticated
      // server keeps the line every command prints for it.
      if (e instanceof ApiError && !failsEveryRequest(e)) throw new CliError(`failed to create token: ${ctx.errorLine(e)}`, 1, { cause: e });
      throw e;
    }
    if (!result.token) throw new CliError('failed to create token: no token in server response');
    if (output.kind === 'table') {
      ctx.out(`${result.token}\n`);
      return 0;
    }
    const obj = {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace: ctx.namespace },
      spec,
      status: { token: result.token, expirationTimestamp: result.expirationTimestamp },
    };
    ctx.out(output.kind === 'json' ? toJson(obj) : toYaml(obj));
    return 0;
  },
});

/** `create -f …`, or `create token …` when the first word (after global flags) is "token". */
export const createCommand: Command = {
  name: 'create',
  summary: CREATE_SUMMARY,
  async main(io, argv, path) {
    const { index } = scanLeadingFlags(argv, path, false);
    if (argv[index] === 'token') return token.main(io, [...argv.slice(0, index), ...argv.slice(index + 1)], `${path} token`);
    if (argv[index] === 'job') return createJob.main(io, [...argv.slice(0, index), ...argv.slice(index + 1)], `${path} job`);
    if (argv[index] === 'cronjob' || argv[index] === 'cj') return createCronJob.main(io, [...argv.slice(0, index), ...argv.slice(index + 1)], `${path} cronjob`);
    return fromFiles.main(io, argv, path);
  },
};
