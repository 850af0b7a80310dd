import test from 'ava';
import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import type { DeploymentObject, NodeObject, PodObject } from './informers.js';
import { registerObjectStateMetrics, type ObjectStateSource } from './kube-state-metrics.js';

const pod = (name: string, phase: string | undefined, containers: { name: string; restarts: number; waiting?: string }[] = []): PodObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'team', name, uid: `uid-${name}` }, spec: { containers: [] },
  status: {
    ...(phase ? { phase } : {}),
    containerStatuses: containers.map((c) => ({
      name: c.name, restartCount: c.restarts, ready: false, image: 'busybox', imageID: '',
      state: c.waiting ? { waiting: { reason: c.waiting } } : { running: {} },
    })),
  },
});

const source: ObjectStateSource = {
  pods: () => [pod('web', 'Running', [{ name: 'app', restarts: 3, waiting: 'CrashLoopBackOff' }, { name: 'side', restarts: 0 }]), pod('new', undefined)],
  nodes: (): NodeObject[] => [{
    apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' },
    status: { conditions: [{ type: 'Ready', status: 'Unknown' }, { type: 'MemoryPressure', status: 'False' }] },
  }],
  deployments: (): DeploymentObject[] => [{
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'team', name: 'web' },
    spec: { replicas: 3, selector: {}, template: {} }, status: { availableReplicas: 2, updatedReplicas: 3 },
  }],
};

test('kube-state-metrics\' families, computed from the caches when scraped', async (t) => {
  const registry = new Registry();
  let current: ObjectStateSource | undefined;
  registerObjectStateMetrics(registry, () => current);
  t.notRegex(await registry.metrics(), /^kube_pod_status_phase\{/m, 'no caches (not leading): no series');
  current = source;
  const text = await registry.metrics();
  t.regex(text, /^kube_pod_status_phase\{namespace="team",pod="web",uid="uid-web",phase="Running"\} 1$/m);
  t.regex(text, /^kube_pod_status_phase\{namespace="team",pod="web",uid="uid-web",phase="Pending"\} 0$/m);
  t.is(text.match(/^kube_pod_status_phase\{/gm)?.length, 5, 'one series per phase, none for a pod without a phase yet');
  t.regex(text, /^kube_pod_container_status_restarts_total\{namespace="team",pod="web",uid="uid-web",container="app"\} 3$/m);
  t.regex(text, /^kube_pod_container_status_restarts_total\{namespace="team",pod="web",uid="uid-web",container="side"\} 0$/m);
  t.regex(text, /^kube_pod_container_status_waiting_reason\{namespace="team",pod="web",uid="uid-web",container="app",reason="CrashLoopBackOff"\} 1$/m);
  t.regex(text, /^kube_deployment_spec_replicas\{namespace="team",deployment="web"\} 3$/m);
  t.regex(text, /^kube_deployment_status_replicas_available\{namespace="team",deployment="web"\} 2$/m);
  t.regex(text, /^kube_deployment_status_replicas_updated\{namespace="team",deployment="web"\} 3$/m);
  t.regex(text, /^kube_node_status_condition\{node="node-1",condition="Ready",status="unknown"\} 1$/m);
  t.regex(text, /^kube_node_status_condition\{node="node-1",condition="Ready",status="true"\} 0$/m);
  t.regex(text, /^kube_node_status_condition\{node="node-1",condition="MemoryPressure",status="false"\} 1$/m);
  // A second scrape sees the same (nothing is used up), and a family read alone is complete.
  t.is(await registry.metrics(), text);
  t.regex(await registry.getSingleMetricAsString('kube_pod_container_status_restarts_total'), /container="app"\} 3/);

  const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (promtool.error) t.log('promtool is not installed: the lint is skipped');
  else t.is(promtool.status, 0, promtool.stdout + promtool.stderr);
});
