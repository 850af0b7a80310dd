// Pod priority (scheduling.k8s.io/v1): the constants Kubernetes fixes, and the two PriorityClasses
// every cluster has. Validation reserves their names; the API server creates them at start (as
// Kubernetes' scheduling bootstrap does); Priority admission reads them like any other class.
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { KubeObject } from './types.js';

export type PriorityClassObject = PriorityClass & KubeObject;

/** Names with this prefix are reserved for the system classes below. */
export const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
/** Users' classes may not go higher; the range above belongs to the system classes. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
/** A pod's priority when it names no class and no class is the global default. */
export const DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS = 0;
export const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'] as const;
export type PreemptionPolicy = (typeof PREEMPTION_POLICIES)[number];

export const SYSTEM_PRIORITY_CLASSES: readonly PriorityClassObject[] = [
  {
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-node-critical' },
    value: SYSTEM_CRITICAL_PRIORITY + 1000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority',
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-cluster-critical' },
    value: SYSTEM_CRITICAL_PRIORITY, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority',
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** Why a class with a system name is not one of the system classes (Kubernetes' IsKnownSystemPriorityClass), or undefined. */
export function systemPriorityClassMismatch(name: string, value: number | undefined, globalDefault: boolean): string | undefined {
  const known = SYSTEM_PRIORITY_CLASSES.find((c) => c.metadata?.name === name);
  if (!known) return `${name} is not a known system priority class`;
  if (known.value !== value) return `value of ${name} PriorityClass must be ${known.value}`;
  if ((known.globalDefault ?? false) !== globalDefault) return `globalDefault of ${name} PriorityClass must be ${known.globalDefault ?? false}`;
  return undefined;
}
