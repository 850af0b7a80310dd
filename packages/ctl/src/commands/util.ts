// Helpers shared by the commands that change one object: read, change, write back with the
// resourceVersion read (optimistic concurrency), and try again on a conflict.
import { retryOnConflict, type KindInfo, type KubeObject, type TugboatClient } from '@tugboat/api';
import { CliError } from '../errors.js';
import { parseResourceArgs } from '../resource-args.js';

/**
 * Applies `mutate` to the current object and updates it; re-reads and retries when someone
 * else wrote in between. `mutate` returns false when there is nothing to change.
 */
export function updateWithRetry<T extends KubeObject>(
  client: TugboatClient, info: KindInfo, namespace: string, name: string, mutate: (obj: T) => boolean,
): Promise<{ object: T; changed: boolean }> {
  return retryOnConflict(async () => {
    const obj = await client.get<T>(info.resource, namespace, name);
    if (!mutate(obj)) return { object: obj, changed: false };
    return { object: await client.update<T>(obj), changed: true };
  });
}

/** Exactly one `KIND/NAME` (or `KIND NAME`) of one of the given kinds. */
export function singleTarget(positionals: readonly string[], verb: string, allowed: readonly string[]): { info: KindInfo; name: string } {
  const requests = parseResourceArgs(positionals, verb);
  const r = requests[0];
  if (requests.length !== 1 || !r || r.names.length !== 1) throw new CliError(`${verb} needs exactly one object, e.g. 'tctl ${verb} deployment/web'`);
  if (!allowed.includes(r.info.resource)) throw new CliError(`${verb} is not supported for ${r.info.resource} (only ${allowed.join(', ')})`);
  return { info: r.info, name: r.names[0]! };
}


/** Owner references of `obj` include `owner` (by uid). */
export function isOwnedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata?.uid);
}
