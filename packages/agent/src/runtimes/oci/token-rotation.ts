// Rotation of projected ServiceAccount tokens, by kubelet's token manager's rule: a token is
// renewed once 80% of its lifetime has passed, or once it is 24 h old, whichever comes
// first (pkg/kubelet/token/token_manager.go, requiresRefresh). One timer per pod: when it
// fires, the pod's projected volumes are written again (atomically, so a reader never sees
// half of it) with a fresh token; a failed refresh is retried with back-off while the old
// token still works. Stopped when the pod's sandbox goes.
import { realClock, type Clock, type Timer } from '@tugboat/api';

/** One token written into a volume: when it was issued and when it expires (ms since the epoch). */
export interface TokenLifetime {
  issuedAt: number;
  expiresAt: number;
}

/** kubelet's maxTTL: a token is renewed after a day whatever its lifetime. */
export const TOKEN_MAX_TTL_MS = 24 * 3600 * 1000;
const RETRY_INITIAL_MS = 5_000;
const RETRY_MAX_MS = 120_000;

/** When a token is to be renewed: 80% of its lifetime, at most 24 h, after it was issued. */
export function tokenRefreshAt(t: TokenLifetime): number {
  const ttl = Math.max(0, t.expiresAt - t.issuedAt);
  return t.issuedAt + Math.min(Math.floor(ttl * 0.8), TOKEN_MAX_TTL_MS);
}

interface Tracked {
  /** Cleared (set to undefined) when it fires. */
  timer?: Timer | undefined;
  at?: number;
  retryMs: number;
}

export class TokenRotation {
  /** A refresh that finds another entry (or none) here when it ends was stopped meanwhile. */
  private readonly pods = new Map<string, Tracked>();

  /**
   * @param refresh writes the pod's projected volumes again; resolves with the tokens now in
   *   them (none: nothing left to rotate, the pod is forgotten)
   */
  constructor(
    private readonly refresh: (podUid: string) => Promise<TokenLifetime[]>,
    private readonly clock: Clock = realClock,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  has(podUid: string): boolean {
    return this.pods.has(podUid);
  }

  /** When the pod's next refresh is due (ms since the epoch), if one is scheduled. */
  nextRefresh(podUid: string): number | undefined {
    return this.pods.get(podUid)?.at;
  }

  /** Schedules the pod's next refresh for the tokens it now has (none: forget it). */
  track(podUid: string, tokens: readonly TokenLifetime[]): void {
    const prev = this.pods.get(podUid);
    prev?.timer?.cancel();
    if (tokens.length === 0) {
      this.pods.delete(podUid);
      return;
    }
    const at = Math.min(...tokens.map(tokenRefreshAt));
    const entry: Tracked = { retryMs: RETRY_INITIAL_MS };
    this.pods.set(podUid, entry);
    this.schedule(podUid, entry, at);
  }

  /** The pod's sandbox is gone: no more refreshes (one running now writes nothing after). */
  stop(podUid: string): void {
    const e = this.pods.get(podUid);
    if (!e) return;
    e.timer?.cancel();
    this.pods.delete(podUid);
  }

  stopAll(): void {
    for (const uid of [...this.pods.keys()]) this.stop(uid);
  }

  private schedule(podUid: string, entry: Tracked, at: number): void {
    entry.at = at;
    entry.timer = this.clock.setTimer(() => { void this.fire(podUid, entry); }, Math.max(0, at - this.clock.now()));
  }

  private async fire(podUid: string, entry: Tracked): Promise<void> {
    entry.timer = undefined;
    let tokens: TokenLifetime[];
    try {
      tokens = await this.refresh(podUid);
    } catch (e) {
      if (this.pods.get(podUid) !== entry) return;
      const wait = entry.retryMs;
      entry.retryMs = Math.min(entry.retryMs * 2, RETRY_MAX_MS);
      this.log(`refreshing the ServiceAccount token of pod ${podUid}: ${e instanceof Error ? e.message : String(e)} (retrying in ${Math.round(wait / 1000)}s)`);
      this.schedule(podUid, entry, this.clock.now() + wait);
      return;
    }
    // Stopped (the pod went) while the refresh ran: nothing more.
    if (this.pods.get(podUid) !== entry) return;
    this.track(podUid, tokens);
  }
}
