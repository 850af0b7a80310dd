// Definitions the documents need that are not fields of our kinds (so not in known-fields.ts):
// the scalars Kubernetes names (Time, Quantity, IntOrString), what operations send and answer
// (ListMeta, Status, DeleteOptions, Patch, WatchEvent) and the scale subresource's Scale.
import { ref, type Schema } from './types.js';

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const TIME = `${META}.Time`;
export const MICRO_TIME = `${META}.MicroTime`;
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const LIST_META = `${META}.ListMeta`;
export const STATUS = `${META}.Status`;
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const PATCH = `${META}.Patch`;
export const WATCH_EVENT = `${META}.WatchEvent`;
export const SCALE = 'io.k8s.api.autoscaling.v1.Scale';

const string: Schema = { type: 'string' };
const integer: Schema = { type: 'integer' };
const object = (properties: Record<string, Schema>, required?: string[]): Schema => ({ type: 'object', properties, ...(required ? { required } : {}) });

/** Kubernetes' own definitions used by every group-version's document. */
export const COMMON_SCHEMAS: Readonly<Record<string, Schema>> = {
  [TIME]: { type: 'string', format: 'date-time', description: 'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.' },
  [MICRO_TIME]: { type: 'string', format: 'date-time', description: 'MicroTime is version of Time with microsecond level precision.' },
  [QUANTITY]: {
    description: 'Quantity is a fixed-point representation of a number ("500m", "1.5", "128Mi").',
    oneOf: [{ type: 'string' }, { type: 'number' }],
  },
  [INT_OR_STRING]: {
    description: 'IntOrString is a type that can hold an int32 or a string.',
    format: 'int-or-string',
    oneOf: [{ type: 'integer' }, { type: 'string' }],
    'x-kubernetes-int-or-string': true,
  },
  [LIST_META]: object({ continue: string, remainingItemCount: integer, resourceVersion: string, selfLink: string }),
  [`${META}.StatusCause`]: object({ field: string, message: string, reason: string }),
  [`${META}.StatusDetails`]: object({
    causes: { type: 'array', items: ref(`${META}.StatusCause`), 'x-kubernetes-list-type': 'atomic' },
    group: string, kind: string, name: string, retryAfterSeconds: integer, uid: string,
  }),
  [STATUS]: {
    ...object({
      apiVersion: string, code: integer, details: { allOf: [ref(`${META}.StatusDetails`)] }, kind: string,
      message: string, metadata: { allOf: [ref(LIST_META)], default: {} }, reason: string, status: string,
    }),
    'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
  },
  [`${META}.Preconditions`]: object({ resourceVersion: string, uid: string }),
  [DELETE_OPTIONS]: object({
    apiVersion: string, kind: string,
    dryRun: { type: 'array', items: string, 'x-kubernetes-list-type': 'atomic' },
    gracePeriodSeconds: integer, orphanDependents: { type: 'boolean' },
    preconditions: { allOf: [ref(`${META}.Preconditions`)] }, propagationPolicy: string,
  }),
  [PATCH]: { type: 'object', description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.' },
  [WATCH_EVENT]: object({ object: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, type: string }, ['type', 'object']),
};

/** autoscaling/v1 Scale: what the scale subresource of Deployments and ReplicaSets reads and writes. */
export const SCALE_SCHEMAS: Readonly<Record<string, Schema>> = {
  'io.k8s.api.autoscaling.v1.ScaleSpec': object({ replicas: integer }),
  'io.k8s.api.autoscaling.v1.ScaleStatus': object({ replicas: { ...integer, default: 0 }, selector: string }, ['replicas']),
  [SCALE]: {
    ...object({
      apiVersion: string, kind: string,
      metadata: { allOf: [ref(`${META}.ObjectMeta`)], default: {} },
      spec: { allOf: [ref('io.k8s.api.autoscaling.v1.ScaleSpec')], default: {} },
      status: { allOf: [ref('io.k8s.api.autoscaling.v1.ScaleStatus')] },
    }),
    'x-kubernetes-group-version-kind': [{ group: 'autoscaling', kind: 'Scale', version: 'v1' }],
  },
};
