import test from 'ava';
import type { Container, PodSpec } from './types.js';
import { aggregatePodAmount } from './pod-resources.js';

const c = (name: string, cpu: number, sidecar = false): Container => ({ name, image: 'x', resources: { requests: { cpu: String(cpu) } }, ...(sidecar ? { restartPolicy: 'Always' } : {}) });
const cpuOf = (x: Container): number => Number(x.resources?.requests?.['cpu'] ?? 0);

test('containers add up; the largest plain init container is a floor', (t) => {
  t.is(aggregatePodAmount({ containers: [c('a', 1), c('b', 2)] }, cpuOf), 3);
  t.is(aggregatePodAmount({ containers: [c('a', 1)], initContainers: [c('i', 5), c('j', 2)] }, cpuOf), 5);
  t.is(aggregatePodAmount(undefined, cpuOf), 0);
});

test('sidecars add to the sum and to every init container started after them (Kubernetes\' PodRequests)', (t) => {
  // Kubernetes' own table case: init 1 (plain, 2), sidecar 1, init 2 (plain, 3), containers 2.
  const spec: PodSpec = { initContainers: [c('i1', 2), c('s', 1, true), c('i2', 3)], containers: [c('a', 2)] };
  // containers 2 + sidecar 1 = 3; init peak: i1 2, s 1, i2 3 + 1 = 4 → 4.
  t.is(aggregatePodAmount(spec, cpuOf), 4);
  // One main and one sidecar of 1 each: both run together.
  t.is(aggregatePodAmount({ initContainers: [c('s', 1, true)], containers: [c('a', 1)] }, cpuOf), 2);
});
