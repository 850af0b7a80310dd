// Pods and container instances for the pure pod-logic tests.
import type { ContainerInfo } from '../runtimes/runtime.js';
import type { PodObject } from './pod-util.js';

export const T0 = Date.parse('2024-05-01T10:00:00Z');

export function pod(spec: Record<string, unknown> = {}, extra: Partial<PodObject> = {}): PodObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'uid-1' },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }], ...spec },
    ...extra,
  } as PodObject;
}

export function inst(attempt: number, state: ContainerInfo['state'], more: Partial<ContainerInfo> = {}, name = 'c'): ContainerInfo {
  return {
    id: `uid-1_${name}_${attempt}`, pod: { uid: 'uid-1', namespace: 'default', name: 'web' }, name, attempt,
    image: 'busybox', imageRef: 'busybox', state, createdAt: new Date(T0), annotations: {},
    ...(state === 'running' ? { startedAt: new Date(T0 + 1000) } : {}),
    ...more,
  };
}

export function exited(attempt: number, exitCode: number, finishedAt: number, name = 'c'): ContainerInfo {
  return inst(attempt, 'exited', { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt: new Date(finishedAt - 500), finishedAt: new Date(finishedAt) }, name);
}
