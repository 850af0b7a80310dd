// Expectations, as Kubernetes' ControllerExpectations: a controller that has just created
// (or deleted) pods must not act on its cache again until the cache has seen those writes,
// or it would count the old state and create (or delete) the same pods twice. The
// controller records what it expects; the informer's handlers tick each observation off;
// sync acts only when a key's expectations are satisfied — or have expired, so a lost
// event cannot stall a controller forever.
import { realClock, type Clock } from '@tugboat/api';

interface Record {
  adds: number;
  dels: number;
  /** Keys of the objects whose deletion is expected (so each is counted once). */
  deleting: Set<string>;
  at: number;
}

/** Kubernetes' ExpectationsTimeout. */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

export class ControllerExpectations {
  private readonly records = new Map<string, Record>();

  constructor(private readonly clock: Clock = realClock, private readonly ttlMs = EXPECTATIONS_TTL_MS) {}

  /** True when `key` may act: nothing pending, everything observed, or the record expired. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.adds <= 0 && r.dels <= 0) return true;
    return this.clock.now() - r.at > this.ttlMs;
  }

  expectCreations(key: string, count: number): void {
    this.records.set(key, { adds: count, dels: 0, deleting: new Set(), at: this.clock.now() });
  }

  expectDeletions(key: string, objectKeys: readonly string[]): void {
    this.records.set(key, { adds: 0, dels: objectKeys.length, deleting: new Set(objectKeys), at: this.clock.now() });
  }

  /** One expected creation was seen (or will never happen: the create failed). */
  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r && r.adds > 0) r.adds--;
  }

  /** The deletion of `objectKey` was seen (or will never happen). Unexpected deletions are ignored. */
  deletionObserved(key: string, objectKey: string): void {
    const r = this.records.get(key);
    if (r && r.deleting.delete(objectKey)) r.dels--;
  }

  /** Pending counts, for tests and debugging. */
  pending(key: string): { adds: number; dels: number } | undefined {
    const r = this.records.get(key);
    return r ? { adds: r.adds, dels: r.dels } : undefined;
  }

  delete(key: string): void {
    this.records.delete(key);
  }
}
