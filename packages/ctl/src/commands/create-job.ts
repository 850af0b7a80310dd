// `tctl create job NAME --image=IMG [-- COMMAND [ARG…]]`: a Job of one container, as
// kubectl's `create job` makes it (restartPolicy Never, the container named after the Job).
// `--from=cronjob/NAME` runs a CronJob's jobTemplate once, by hand.
import { jobFromCronJobTemplate, type CronJob, type Job, type KubeObject } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import type { Context } from '../context.js';
import { formatObjects, parseOutput } from '../printers/output.js';
import { parseDryRun } from './apply.js';

type JobObject = Job & KubeObject;
type CronJobObject = CronJob & KubeObject;

/** The Job kubectl's `create job NAME --image … -- cmd` builds. */
export function jobFromImage(name: string, namespace: string, image: string, command: readonly string[]): JobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace },
    spec: {
      template: {
        spec: {
          containers: [{ name, image, ...(command.length ? { command: [...command] } : {}) }],
          restartPolicy: 'Never',
        },
      },
    },
  };
}

/** A manual run of a CronJob (kubectl's --from): its jobTemplate, owned by it, marked as instantiated by hand. */
export function jobFromCronJob(name: string, cron: CronJobObject): JobObject {
  return jobFromCronJobTemplate(cron, name, { 'cronjob.kubernetes.io/instantiate': 'manual' }, {
    apiVersion: cron.apiVersion ?? 'batch/v1', kind: 'CronJob', name: cron.metadata?.name ?? '', uid: cron.metadata?.uid ?? '', controller: true,
  });
}

/** Creates (or dry-runs) what a `create <kind>` command built and says so as kubectl does. */
export async function createAndReport<T extends KubeObject>(ctx: Context, obj: T, qualifiedKind: string, dryRunFlag: string | undefined, outputFlag: string | undefined): Promise<number> {
  const dryRun = parseDryRun(dryRunFlag);
  const output = parseOutput(outputFlag, ['yaml', 'json', 'name']);
  const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
  const created = dryRun === 'client' ? obj : await ctx.client().create<T>(obj, { dryRun: dryRun === 'server' });
  if (output.kind === 'table') ctx.out(`${qualifiedKind}/${created.metadata?.name ?? ''} created${suffix}\n`);
  else ctx.out(formatObjects([created], output));
  return 0;
}

export const createJob = defineCommand({
  name: 'job',
  summary: 'Create a Job with the given name',
  usage: 'tctl create job NAME --image=IMAGE [-- COMMAND [ARG…]] | tctl create job NAME --from=cronjob/NAME',
  details: 'Examples:\n  tctl create job my-job --image=busybox -- date\n  tctl create job test-job --from=cronjob/a-cronjob',
  flags: {
    image: { type: 'string', value: 'IMAGE', description: 'the container image' },
    from: { type: 'string', value: 'cronjob/NAME', description: 'the CronJob whose jobTemplate to run' },
    'dry-run': { type: 'string', value: 'client|server', bareValue: 'client', description: 'only show what would happen' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json|name' },
  },
  async run(ctx, { flags, positionals }) {
    const [name, ...command] = positionals;
    if (!name) throw new UsageError('NAME is required (usage: tctl create job NAME --image=IMAGE [-- COMMAND])');
    let job: JobObject;
    if (flags.from !== undefined) {
      if (flags.image !== undefined || command.length) throw new UsageError('either --image or --from may be given, not both');
      const [kind, from] = flags.from.split('/', 2);
      if (!kind || !from || !['cronjob', 'cronjobs', 'cj', 'cronjob.batch'].includes(kind.toLowerCase())) throw new UsageError(`from must be of the form cronjob/NAME, got "${flags.from}"`);
      const cron = await ctx.client().get<CronJobObject>('cronjobs', ctx.namespace, from);
      job = jobFromCronJob(name, cron);
    } else {
      if (!flags.image) throw new UsageError('--image is required (or --from=cronjob/NAME)');
      job = jobFromImage(name, ctx.namespace, flags.image, command);
    }
    return createAndReport(ctx, job, 'job.batch', flags['dry-run'], flags.output);
  },
});
