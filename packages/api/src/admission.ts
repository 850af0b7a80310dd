// STUB — the model work fills this in: prune unknown fields (warnings), default, validate.
import type { FieldError } from './errors.js';
import type { KubeObject } from './types.js';

export type Admission<T extends KubeObject = KubeObject> =
  | { ok: true; object: T; warnings: string[] }
  | { ok: false; errors: FieldError[]; warnings: string[] };

/**
 * What the API server runs on every create, update and apply: checks apiVersion/kind
 * (unknown kind → error at path "kind"), drops unknown fields (one warning each:
 * `unknown field "spec.foo"`), applies Kubernetes' defaults, validates every field, and with
 * `old` also checks immutable fields. Pure: no I/O; server-owned metadata (uid,
 * resourceVersion, creationTimestamp, generation) is the API server's business.
 */
export function admitObject(input: unknown, old?: KubeObject): Admission {
  void old;
  return { ok: true, object: input as KubeObject, warnings: [] };
}

/** Validates a status write (UpdateStatus) of `input` over the stored `old`. */
export function admitStatus(input: KubeObject, old: KubeObject): Admission {
  void old;
  return { ok: true, object: input, warnings: [] };
}

/** Kubernetes' defaults only (restartPolicy Always, terminationGracePeriodSeconds 30, …); returns a new object. */
export function defaultObject<T extends KubeObject>(obj: T): T {
  return structuredClone(obj);
}
