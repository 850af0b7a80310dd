// Riding out the death of an etcd member. etcd3 sends each call to a member picked at random;
// with its retries switched off (see etcd-storage.ts: a blind retry of a write can report a
// conflict for a write that succeeded), one dead member of three failed a third of all calls.
// Two parts, both pure of I/O so they test without an etcd:
//
//   memberBreaker   per member: a call that found it unreachable marks it down for a moment,
//                   and etcd3 sends the next calls to the other members (it moves on when a
//                   member's policy refuses without calling through).
//   retryWithin     per call: an Unavailable answer (member gone, leader changing, no quorum
//                   yet) is tried again, on another member, until the window closes.
//
// Retrying a write is safe because every write here is conditional (create-if-absent, or
// compare-and-swap on the key's mod revision): it can apply at most once. What the retry must
// decide is whether a failed attempt did apply — see `alreadyApplied`.
import { ApiError } from '@tugboat/api';

/** How long a member that failed a call is skipped before one call may try it again. */
export const MEMBER_DOWN_MS = 1_000;
/**
 * How long a call keeps trying other members before its Unavailable reaches the caller (issue
 * 12 asks for at most 2 s). It covers a leader election because local members elect within
 * 0.5-1 s (launcher.ts, LOCAL_ELECTION_FLAGS).
 */
export const RETRY_WINDOW_MS = 2_000;

type Ctx = { signal: AbortSignal };

/** The slice of cockatiel's IPolicy that etcd3 calls on a host's fault-handling policy. */
export interface MemberPolicy {
  readonly _altReturn: never;
  onSuccess(listener: unknown): { dispose(): void };
  onFailure(listener: unknown): { dispose(): void };
  execute<T>(fn: (ctx: Ctx) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T>;
}

/** Thrown without calling through: etcd3 then tries the next member. */
export class MemberDownError extends Error {
  constructor(readonly member: string) {
    super(`etcd member ${member} did not answer a moment ago`);
    this.name = 'MemberDownError';
  }
}

/**
 * An attempt given up on because a member went down while it was in flight: a write forwarded
 * to a leader that died waits out etcd's own request timeout (5 s and more) otherwise. What it
 * asked for may still apply, which the retry's conditional write accounts for.
 */
export class AttemptAbandonedError extends Error {
  constructor(readonly member: string) {
    super(`etcd member ${member} went down while the request was in flight`);
    this.name = 'AttemptAbandonedError';
  }
}

/** True for failures that say the member (or etcd as a whole) could not serve the call now. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof MemberDownError || err instanceof AttemptAbandonedError) return true;
  if (err instanceof ApiError) return err.reason === 'Unavailable';
  const name = err instanceof Error ? err.constructor.name : '';
  const msg = err instanceof Error ? err.message : String(err);
  return name === 'GRPCUnavailableError'
    || /\b14 UNAVAILABLE\b|No connection established|ECONNREFUSED|ECONNRESET|Connection dropped|leader changed|no leader|proposal dropped|not capable|too many requests/i.test(msg);
}

/**
 * True when the member itself could not be reached (refused, reset, dropped): not when it
 * answered that etcd cannot serve the call now ("etcdserver: no leader" during an election),
 * which every member says alike and which skipping the member would not help.
 */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof MemberDownError || err instanceof AttemptAbandonedError || !isUnavailable(err)) return false;
  return !/etcdserver:|raft/i.test(err instanceof Error ? err.message : String(err));
}

const noListener = { dispose(): void { /* nothing kept */ } };

/**
 * A member's policy: calls pass straight through (no retry, no bulkhead), and one that finds
 * the member unreachable marks it down for `downMs`, during which calls are refused
 * at once so that etcd3 moves on to another member. After that, the next call tries it again.
 */
export function memberBreaker(member: string, onDown: () => void = () => undefined, downMs = MEMBER_DOWN_MS, now: () => number = Date.now): MemberPolicy {
  let downUntil = 0;
  return {
    _altReturn: undefined as never,
    onSuccess: () => noListener,
    onFailure: () => noListener,
    async execute<T>(fn: (ctx: Ctx) => PromiseLike<T> | T, signal?: AbortSignal): Promise<T> {
      if (now() < downUntil) throw new MemberDownError(member);
      try {
        return await fn({ signal: signal ?? new AbortController().signal });
      } catch (e) {
        if (isUnreachable(e)) {
          const wasUp = now() >= downUntil;
          downUntil = now() + downMs;
          if (wasUp) onDown();
        }
        throw e;
      }
    },
  };
}

export interface RetryClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realClock: RetryClock = { now: Date.now, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/**
 * Runs `attempt` until it succeeds, fails with something other than Unavailable, or `windowMs`
 * has passed since the first try (then its last error is thrown). `attempt` is told whether an
 * earlier try failed after it may have reached etcd, for writes to check what happened.
 * Back-off 25 ms doubling to 400 ms: a leader election takes about a second.
 */
export async function retryWithin<T>(
  attempt: (retried: boolean) => Promise<T>,
  windowMs = RETRY_WINDOW_MS,
  clock: RetryClock = realClock,
  retryable: (err: unknown) => boolean = isUnavailable,
): Promise<T> {
  const started = clock.now();
  let delay = 25;
  let retried = false;
  for (;;) {
    try {
      return await attempt(retried);
    } catch (e) {
      if (!retryable(e) || clock.now() - started + delay > windowMs) throw e;
      // A member refused before the call went out: nothing reached etcd. Anything else might have.
      if (!(e instanceof MemberDownError)) retried = true;
    }
    await clock.sleep(delay);
    delay = Math.min(delay * 2, 400);
  }
}

/** What a conditional write asked for, key by key: a value, or the key's absence. */
export type Intended = { readonly key: string; readonly value: string } | { readonly key: string; readonly deleted: true };

/**
 * After an attempt that may have applied, a retry whose conditions failed: did the earlier
 * attempt apply? Yes when every key holds exactly what this write put there (values carry the
 * object's uid, managedFields times and generation, so another writer's identical bytes are
 * not a practical case) and every key it deleted is gone. Pure.
 */
export function alreadyApplied(intended: readonly Intended[], current: readonly (string | undefined)[]): boolean {
  return intended.every((w, i) => ('deleted' in w ? current[i] === undefined : current[i] === w.value));
}
