import test from 'ava';
import type { Deployment } from '@tugboat/api';
import { deploymentRolloutStatus } from './rollout.js';

const d = (spec: number, status: NonNullable<Deployment['status']>, generation = 2): Deployment => ({
  metadata: { name: 'web', generation }, spec: { replicas: spec, selector: {}, template: {} }, status: { observedGeneration: 2, ...status },
});

test('rollout status messages follow kubectl, in order', (t) => {
  t.is(deploymentRolloutStatus(d(3, {}, 3)).message, 'Waiting for deployment spec update to be observed...');
  t.is(deploymentRolloutStatus(d(3, { updatedReplicas: 1, replicas: 4 })).message, 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...');
  t.is(deploymentRolloutStatus(d(3, { updatedReplicas: 3, replicas: 4 })).message, 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...');
  t.is(deploymentRolloutStatus(d(3, { updatedReplicas: 3, replicas: 3, availableReplicas: 2 })).message, 'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...');
  const done = deploymentRolloutStatus(d(3, { updatedReplicas: 3, replicas: 3, availableReplicas: 3 }));
  t.true(done.done);
  t.is(done.message, 'deployment "web" successfully rolled out');
  const stuck = deploymentRolloutStatus(d(3, { conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }));
  t.is(stuck.error, 'deployment "web" exceeded its progress deadline');
});
