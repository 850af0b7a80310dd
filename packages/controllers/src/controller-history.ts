// ControllerRevisions: the template history of a DaemonSet or StatefulSet (Kubernetes'
// pkg/controller/history). One revision per distinct pod template, named
// "<owner>-<hash>", owned by its controller; the newest revision is the owner's current template.
//
//   claimed revisions ──▶ sync: the one recording this template (created, or renumbered to
//                              the top on a rollback; duplicates deleted) + the others
//                     ──▶ revisionsToDelete: beyond revisionHistoryLimit, oldest first, live kept
import { ApiError, type ControllerRevision, type KubeObject, type PodTemplateSpec, type TugboatClient } from '@tugboat/api';
import { canonicalJson } from './canonical.js';
import { isApiError } from './controller.js';
import type { ControllerRevisionObject } from './informers.js';
import { newControllerRef } from './owner-refs.js';
import { computeHash } from './pod-template-hash.js';

/** The label naming the hash of the revision a pod was made from (apps/v1 ControllerRevisionHashLabelKey). */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

/**
 * What a revision records (Kubernetes' getPatch): a patch that puts this template back,
 * `{"spec":{"template":{…,"$patch":"replace"}}}` (kubectl rollout undo applies it).
 */
export function templateRevisionData(template: PodTemplateSpec | undefined): Record<string, unknown> {
  return { spec: { template: { ...(template ?? {}), $patch: 'replace' } } };
}

/** The template a revision records (the inverse of templateRevisionData). */
export function templateOfRevision(cr: ControllerRevision): PodTemplateSpec | undefined {
  const spec = (cr.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined)?.spec;
  if (!spec?.template) return undefined;
  const { $patch: _p, ...template } = spec.template;
  void _p;
  return template;
}

/**
 * Old revisions to delete beyond revisionHistoryLimit, oldest first; a revision whose hash
 * some live pod (or the owner's status) names is kept (Kubernetes' cleanupHistory / truncateHistory).
 */
export function revisionsToDelete<R extends ControllerRevision>(old: readonly R[], limit: number, liveHashes: ReadonlySet<string>): R[] {
  let toKill = old.length - limit;
  if (toKill <= 0) return [];
  const out: R[] = [];
  for (const cr of [...old].sort((a, b) => a.revision - b.revision)) {
    if (toKill <= 0) break;
    if (liveHashes.has(cr.metadata?.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '')) continue;
    out.push(cr);
    toKill--;
  }
  return out;
}

export interface HistoryOwner {
  readonly apiVersion: string;
  readonly kind: string;
}

export interface SyncedHistory {
  /** The revision recording the owner's template now. */
  readonly current: ControllerRevisionObject;
  /** Every other claimed revision. */
  readonly old: ControllerRevisionObject[];
}

export class ControllerHistory {
  constructor(private readonly client: TugboatClient, private readonly ref: HistoryOwner) {}

  /**
   * The revision of `template` among the owner's `claimed` revisions: made when missing, given
   * the next revision number when an older one comes back (a rollback). `collided` is called
   * when another template already holds the name: it must raise the owner's collisionCount.
   */
  async sync(
    owner: KubeObject, template: PodTemplateSpec | undefined, collisionCount: number | undefined, claimed: readonly ControllerRevisionObject[],
    collided: () => Promise<void>,
  ): Promise<SyncedHistory> {
    const data = canonicalJson(templateRevisionData(template));
    const matches = (cr: ControllerRevision): boolean => canonicalJson(cr.data) === data;
    const same = claimed.filter(matches);
    const old = claimed.filter((cr) => !matches(cr));
    const nextRevision = old.reduce((m, cr) => Math.max(m, cr.revision ?? 0), 0) + 1;
    if (same.length === 0) return { current: await this.create(owner, template, collisionCount, nextRevision, matches, collided), old };
    // Duplicates (one template recorded twice) collapse onto the newest.
    same.sort((a, b) => (b.revision ?? 0) - (a.revision ?? 0));
    let current = same[0]!;
    await this.delete(same.slice(1));
    if ((current.revision ?? 0) < nextRevision) {
      current = await this.client.update<ControllerRevisionObject>({ ...current, revision: nextRevision });
    }
    return { current, old };
  }

  private async create(
    owner: KubeObject, template: PodTemplateSpec | undefined, collisionCount: number | undefined, revision: number,
    matches: (cr: ControllerRevision) => boolean, collided: () => Promise<void>,
  ): Promise<ControllerRevisionObject> {
    const hash = computeHash(template, collisionCount);
    const name = `${owner.metadata?.name ?? ''}-${hash}`;
    const ns = owner.metadata?.namespace ?? '';
    const cr: ControllerRevisionObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name, namespace: ns,
        labels: { ...(template?.metadata?.labels ?? {}), [CONTROLLER_REVISION_HASH_LABEL]: hash },
        ownerReferences: [newControllerRef(owner, this.ref.apiVersion, this.ref.kind)],
      },
      data: templateRevisionData(template),
      revision,
    };
    try {
      return await this.client.create<ControllerRevisionObject>(cr);
    } catch (e) {
      if (!isApiError(e, 'AlreadyExists')) throw e;
      const existing = await this.client.get<ControllerRevisionObject>('controllerrevisions', ns, name);
      if (matches(existing)) return existing;
      // Another template hashed to the same name: count the collision, which changes the
      // hash, and try again on the next sync.
      await collided();
      throw new ApiError('Conflict', `ControllerRevision ${ns}/${name} records another template: hash collision, collisionCount raised`);
    }
  }

  async delete(revisions: readonly ControllerRevisionObject[]): Promise<void> {
    for (const cr of revisions) {
      try {
        await this.client.delete('controllerrevisions', cr.metadata?.namespace ?? '', cr.metadata?.name ?? '');
      } catch (e) {
        if (!isApiError(e, 'NotFound')) throw e;
      }
    }
  }
}
