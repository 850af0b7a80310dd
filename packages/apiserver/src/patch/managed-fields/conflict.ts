// The error an apply that would change another manager's fields fails with, worded as
// Kubernetes words it (k8s.io/apimachinery managedfields/internal/conflict.go), with one
// cause per field for clients that read details.causes.
import { ApiError } from '@tugboat/api';
import type { FieldSet } from './field-set.js';
import { displayPath } from './path.js';

export interface ConflictCause { readonly reason: 'FieldManagerConflict'; readonly message: string; readonly field: string }

/** Carried as the ApiError's cause, so the REST layer can put the causes in the Status. */
export class ApplyConflicts extends Error {
  constructor(readonly causes: readonly ConflictCause[]) {
    super(causes.map((c) => `${c.message}: ${c.field}`).join('; '));
    this.name = 'ApplyConflicts';
  }
}

/** `"kubectl"` for an applier; `"kube-controller-manager" using apps/v1` for an updater (with its subresource, if any). */
function printManager(id: string): string {
  const m = JSON.parse(id) as { manager: string; operation: string; apiVersion?: string; subresource?: string };
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  return m.operation === 'Update' ? `${s} using ${m.apiVersion ?? ''}` : s;
}

/** conflicts: manager identifier → the fields of theirs the apply would change. */
export function conflictError(conflicts: ReadonlyMap<string, FieldSet>): ApiError {
  const ids = [...conflicts.keys()].sort();
  const all = ids.flatMap((id) => conflicts.get(id)!.paths().map((p) => ({ id, field: displayPath(p) })));
  const causes = all.map(({ id, field }) => ({ reason: 'FieldManagerConflict' as const, message: `conflict with ${printManager(id)}`, field }));
  let message: string;
  if (all.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(all[0]!.id)}: ${all[0]!.field}`;
  } else {
    const lines = ids.flatMap((id) => [`conflicts with ${printManager(id)}:`, ...conflicts.get(id)!.paths().map((p) => `- ${displayPath(p)}`)]);
    message = `Apply failed with ${all.length} conflicts: ${lines.join('\n')}`;
  }
  return new ApiError('Conflict', message, [], { cause: new ApplyConflicts(causes) });
}

/** The per-field causes of an apply conflict (for Status details.causes), or undefined for any other error. */
export function conflictCauses(err: unknown): readonly ConflictCause[] | undefined {
  return err instanceof ApiError && err.cause instanceof ApplyConflicts ? err.cause.causes : undefined;
}
