import test from 'ava';
import type { NodeMetrics, PodMetrics } from '@tugboat/api';
import { nodeUsage, podUsage } from './top.js';

const meta = { apiVersion: 'metrics.k8s.io/v1beta1' as const, timestamp: '2026-01-01T00:00:00Z', window: '10s' };

test('a NodeMetrics\' usage in millicores and bytes', (t) => {
  const m: NodeMetrics = { ...meta, kind: 'NodeMetrics', metadata: { name: 'n' }, usage: { cpu: '250m', memory: '64Mi' } };
  t.deepEqual(nodeUsage(m), { cpuMilli: 250, memory: 64 * 2 ** 20 });
});

test('a PodMetrics\' usage is its containers\' sum, each container kept', (t) => {
  const m: PodMetrics = {
    ...meta, kind: 'PodMetrics', metadata: { name: 'web', namespace: 'default' },
    containers: [{ name: 'a', usage: { cpu: '5m', memory: '10Mi' } }, { name: 'b', usage: { cpu: '1', memory: '1Gi' } }],
  };
  t.deepEqual(podUsage(m), {
    cpuMilli: 1005, memory: 10 * 2 ** 20 + 2 ** 30,
    containers: [{ name: 'a', cpuMilli: 5, memory: 10 * 2 ** 20 }, { name: 'b', cpuMilli: 1000, memory: 2 ** 30 }],
  });
});
