// Owner references and the "claim" step of controllers (Kubernetes' ControllerRefManager):
// a controller owns the objects whose controller reference names its uid. Each sync it
// adopts matching orphans and releases owned objects whose labels stopped matching, so a
// user relabelling a pod takes it out of its ReplicaSet and a pod created by hand with the
// right labels is counted.
import { ApiError, retryOnConflict, selectorFromLabelSelector, type KubeObject, type LabelSelector, type OwnerReference, type Selector, type TugboatClient } from '@tugboat/api';

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/**
 * An informer index (Informer.addIndex) of objects by controller: `uid/<owner uid>` for a
 * controlled object, `orphan/<namespace>` for one without a controller. A controller's sync
 * looks at its own objects and the orphans it may adopt (all it can claim), not every object.
 */
export const CONTROLLER_INDEX = 'controller';

export function controllerIndexValues(obj: KubeObject): readonly string[] {
  const ref = controllerRef(obj);
  return [ref ? `uid/${ref.uid}` : `orphan/${obj.metadata?.namespace ?? ''}`];
}

export function isControlledBy(obj: KubeObject, ownerUid: string | undefined): boolean {
  return !!ownerUid && controllerRef(obj)?.uid === ownerUid;
}

export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata?.name ?? '',
    uid: owner.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/**
 * Reads `resource/namespace/name` fresh from the API server, lets `mutate` change it and
 * writes it back with compare-and-swap, retrying on conflicts. `mutate` returns false when
 * no write is needed. Returns the written object, or undefined when there was nothing to do
 * or the object is gone (or was recreated: `uid` no longer matches).
 */
export async function updateWithRetry<T extends KubeObject>(
  client: TugboatClient,
  resource: string,
  namespace: string,
  name: string,
  uid: string | undefined,
  mutate: (obj: T) => boolean,
  attempts = 5,
): Promise<T | undefined> {
  return retryOnConflict(async () => {
    const obj = await client.tryGet<T>(resource, namespace, name);
    if (!obj || (uid && obj.metadata?.uid !== uid)) return undefined;
    if (!mutate(obj)) return undefined;
    try {
      return await client.update<T>(obj);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'NotFound') return undefined;
      throw e;
    }
  }, attempts);
}

export interface ClaimOptions<T extends KubeObject> {
  client: TugboatClient;
  /** Resource of the claimed objects ("pods", "replicasets"). */
  resource: string;
  owner: KubeObject;
  ownerApiVersion: string;
  ownerKind: string;
  selector: Selector;
  objects: readonly T[];
  /**
   * Re-checks, once and only before the first adoption, that the owner as stored right now
   * is the one we hold and is not being deleted (our cache may be stale: adopting for an
   * owner that is gone would leak the object to the garbage collector).
   */
  canAdopt: () => Promise<void>;
}

export interface ClaimResult<T> {
  claimed: T[];
  errors: Error[];
}

export async function claimObjects<T extends KubeObject>(opts: ClaimOptions<T>): Promise<ClaimResult<T>> {
  const { owner, selector, client, resource } = opts;
  const ownerUid = owner.metadata?.uid ?? '';
  const ownerDeleting = !!owner.metadata?.deletionTimestamp;
  const claimed: T[] = [];
  const errors: Error[] = [];
  let adoptionChecked: Promise<void> | undefined;

  for (const obj of opts.objects) {
    const ns = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const uid = obj.metadata?.uid;
    const ref = controllerRef(obj);
    const matches = selector.matches(obj.metadata?.labels);
    try {
      if (ref) {
        if (ref.uid !== ownerUid) continue;
        if (matches) {
          claimed.push(obj);
          continue;
        }
        // Owned, but no longer selected: let it go (unless the owner is going away anyway).
        if (ownerDeleting) continue;
        await updateWithRetry<T>(client, resource, ns, name, uid, (o) => {
          const refs = o.metadata?.ownerReferences ?? [];
          if (!refs.some((r) => r.uid === ownerUid)) return false;
          o.metadata = { ...o.metadata, ownerReferences: refs.filter((r) => r.uid !== ownerUid) };
          return true;
        });
        continue;
      }
      if (ownerDeleting || !matches || obj.metadata?.deletionTimestamp) continue;
      if (owner.metadata?.namespace && owner.metadata.namespace !== ns) continue;
      adoptionChecked ??= opts.canAdopt();
      await adoptionChecked;
      const adopted = await updateWithRetry<T>(client, resource, ns, name, uid, (o) => {
        if (controllerRef(o) || o.metadata?.deletionTimestamp) return false;
        o.metadata = {
          ...o.metadata,
          ownerReferences: [...(o.metadata?.ownerReferences ?? []), newControllerRef(owner, opts.ownerApiVersion, opts.ownerKind)],
        };
        return true;
      });
      if (adopted) claimed.push(adopted);
    } catch (e) {
      errors.push(e instanceof Error ? e : new Error(String(e)));
      // If the owner may not adopt, no other orphan can be adopted either.
      if (adoptionChecked) {
        const failedCheck = await adoptionChecked.then(() => false, () => true);
        if (failedCheck) break;
      }
    }
  }
  return { claimed, errors };
}

/** A canAdopt for owners of `resource`: the stored owner must have the same uid and not be deleting. */
export function ownerStillValid(client: TugboatClient, resource: string, owner: KubeObject): () => Promise<void> {
  return async () => {
    const ns = owner.metadata?.namespace ?? '';
    const name = owner.metadata?.name ?? '';
    const fresh = await client.tryGet<KubeObject>(resource, ns, name);
    if (!fresh || fresh.metadata?.uid !== owner.metadata?.uid) {
      throw new ApiError('Conflict', `${resource} ${ns}/${name} was deleted or recreated; not adopting`);
    }
    if (fresh.metadata?.deletionTimestamp) {
      throw new ApiError('Conflict', `${resource} ${ns}/${name} is being deleted; not adopting`);
    }
  };
}

/**
 * The objects of `candidates` in the owner's namespace that a workload with a LabelSelector
 * owns after claiming (DaemonSet, StatefulSet): the first claim error is thrown, to re-queue.
 */
export async function claimForWorkload<T extends KubeObject>(
  client: TugboatClient, owner: KubeObject & { spec?: { selector?: LabelSelector } }, ref: { apiVersion: string; kind: string },
  ownerResource: string, resource: string, candidates: readonly T[],
): Promise<T[]> {
  const ns = owner.metadata?.namespace ?? '';
  const { claimed, errors } = await claimObjects<T>({
    client,
    resource,
    owner,
    ownerApiVersion: ref.apiVersion,
    ownerKind: ref.kind,
    selector: selectorFromLabelSelector(owner.spec?.selector),
    objects: candidates.filter((o) => o.metadata?.namespace === ns),
    canAdopt: ownerStillValid(client, ownerResource, owner),
  });
  if (errors.length) throw errors[0];
  return claimed;
}
