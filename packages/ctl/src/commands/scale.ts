// `tctl scale KIND/NAME --replicas N`: sets spec.replicas of a deployment or replica set.
import { qualifiedSingular, type KubeObject } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { singleTarget, updateWithRetry } from './util.js';

export const scaleCommand = defineCommand({
  name: 'scale',
  summary: 'Set the number of replicas of a deployment, replica set, replication controller or stateful set',
  usage: 'tctl scale deployment/NAME|replicaset/NAME|rc/NAME|statefulset/NAME --replicas N [--current-replicas N]',
  flags: {
    replicas: { type: 'int', value: 'N', description: 'the new number of replicas (required)' },
    'current-replicas': { type: 'int', value: 'N', description: 'only scale if it has this many now' },
  },
  async run(ctx, { flags, positionals }) {
    if (flags.replicas === undefined || flags.replicas < 0) throw new UsageError('--replicas=N is required and must be 0 or more');
    const { info, name } = singleTarget(positionals, 'scale', ['deployments', 'replicasets', 'replicationcontrollers', 'statefulsets']);
    const want = flags.replicas;
    const current = flags['current-replicas'];
    await updateWithRetry<KubeObject & { spec?: { replicas?: number } }>(ctx.client(), info, ctx.namespace, name, (obj) => {
      const have = obj.spec?.replicas ?? 1;
      if (current !== undefined && have !== current) throw new CliError(`expected replicas to be ${current}, was ${have}`);
      if (have === want) return false;
      obj.spec = { ...(obj.spec ?? {}), replicas: want };
      return true;
    });
    ctx.out(`${qualifiedSingular(info)}/${name} scaled\n`);
  },
});
