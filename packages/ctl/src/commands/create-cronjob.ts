// `tctl create cronjob NAME --image=IMG --schedule=SPEC [--restart=OnFailure|Never] [-- COMMAND [ARG…]]`:
// a CronJob of one container, as kubectl's `create cronjob` makes it (the container and the
// jobTemplate named after the CronJob, restartPolicy OnFailure unless given).
import type { CronJob, KubeObject } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { createAndReport } from './create-job.js';

type CronJobObject = CronJob & KubeObject;
const RESTART_POLICIES = ['OnFailure', 'Never'];

export function cronJobFromImage(name: string, namespace: string, image: string, schedule: string, restart: string, command: readonly string[]): CronJobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace },
    spec: {
      schedule,
      jobTemplate: {
        metadata: { name },
        spec: {
          template: {
            spec: {
              containers: [{ name, image, ...(command.length ? { command: [...command] } : {}) }],
              restartPolicy: restart,
            },
          },
        },
      },
    },
  };
}

export const createCronJob = defineCommand({
  name: 'cronjob',
  summary: 'Create a CronJob with the given name',
  usage: 'tctl create cronjob NAME --image=IMAGE --schedule=\'0/5 * * * ?\' [--restart=OnFailure|Never] [-- COMMAND [ARG…]]',
  details: 'Examples:\n  tctl create cronjob my-job --image=busybox --schedule="*/1 * * * *" -- date',
  flags: {
    image: { type: 'string', value: 'IMAGE', description: 'the container image' },
    schedule: { type: 'string', value: 'SPEC', description: 'a schedule in the Cron format the job should be run with' },
    restart: { type: 'string', value: 'POLICY', description: 'the job\'s restart policy: OnFailure (default) or Never' },
    'dry-run': { type: 'string', value: 'client|server', bareValue: 'client', description: 'only show what would happen' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json|name' },
  },
  async run(ctx, { flags, positionals }) {
    const [name, ...command] = positionals;
    if (!name) throw new UsageError('NAME is required (usage: tctl create cronjob NAME --image=IMAGE --schedule=SPEC [-- COMMAND])');
    if (!flags.image) throw new UsageError('--image is required');
    if (!flags.schedule) throw new UsageError('--schedule is required');
    const restart = flags.restart ?? 'OnFailure';
    if (!RESTART_POLICIES.includes(restart)) throw new UsageError(`invalid restart policy: ${restart}`);
    const cj = cronJobFromImage(name, ctx.namespace, flags.image, flags.schedule, restart, command);
    return createAndReport(ctx, cj, 'cronjob.batch', flags['dry-run'], flags.output);
  },
});
