// `tctl autoscale deployment/NAME --min N --max N [--cpu-percent P]`: creates an autoscaling/v2
// HorizontalPodAutoscaler for a scalable workload, as kubectl autoscale does (named after the
// workload unless --name; no --cpu-percent leaves the server's default, 80% cpu).
import { kindInfo, qualifiedSingular, type HorizontalPodAutoscalerObject, type KubeObject } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { UsageError } from '../errors.js';
import { singleTarget } from './util.js';

export const autoscaleCommand = defineCommand({
  name: 'autoscale',
  summary: 'Create a HorizontalPodAutoscaler for a deployment, replica set, replication controller or stateful set',
  usage: 'tctl autoscale deployment/NAME|rs/NAME|rc/NAME|sts/NAME --max N [--min N] [--cpu-percent P] [--name NAME]',
  flags: {
    min: { type: 'int', value: 'N', description: 'the fewest pods (default: the server\'s, 1)' },
    max: { type: 'int', value: 'N', description: 'the most pods (required)' },
    'cpu-percent': { type: 'int', value: 'P', description: 'target average cpu, percent of request (default: the server\'s, 80)' },
    name: { type: 'string', value: 'NAME', description: 'the autoscaler\'s name (default: the workload\'s)' },
  },
  async run(ctx, { flags, positionals }) {
    const { info, name } = singleTarget(positionals, 'autoscale', ['deployments', 'replicasets', 'replicationcontrollers', 'statefulsets']);
    const max = flags.max ?? 0;
    const min = flags.min;
    // kubectl's own checks and words.
    if (max < 1) throw new UsageError(`--max=MAXPODS is required and must be at least 1, max: ${max}`);
    if (min !== undefined && max < min) throw new UsageError(`--max=MAXPODS must be larger or equal to --min=MINPODS, max: ${max}, min: ${min}`);
    const client = ctx.client();
    // The workload must exist (kubectl reads it to build the reference).
    await client.get<KubeObject>(info.resource, ctx.namespace, name);
    const cpu = flags['cpu-percent'];
    const hpaName = flags.name ?? name;
    const hpa: HorizontalPodAutoscalerObject = {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler',
      metadata: { name: hpaName, namespace: ctx.namespace },
      spec: {
        scaleTargetRef: { apiVersion: info.apiVersion, kind: info.kind, name },
        ...(min !== undefined ? { minReplicas: min } : {}),
        maxReplicas: max,
        ...(cpu !== undefined && cpu >= 0 ? { metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpu } } }] } : {}),
      },
    };
    await client.create(hpa);
    ctx.out(`${qualifiedSingular(kindInfo('HorizontalPodAutoscaler')!)}/${hpaName} autoscaled\n`);
  },
});
