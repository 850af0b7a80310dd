// Key rotation's last step (`tugboat-apiserver reencrypt`): rewrite every stored object of the
// configured resources that was not written by the provider and key that write now, so the
// old key can be removed from the config. Kubernetes does this with `kubectl get secrets -A
// -o json | kubectl replace -f -`; we do it against etcd directly, with the same safety: each
// rewrite is a compare-and-swap on the mod revision it read, so a concurrent write by an API
// server wins and the object is read again (and is then usually current already).
import { EtcdStorage } from '../etcd-storage.js';
import type { EtcdTls } from '../etcd-tls.js';
import type { KeyValue, Storage } from '../storage.js';
import { REGISTRY_ROOT } from '../../registry/keys.js';
import type { EncryptionConfig } from './config.js';
import { TransformError, ValueTransformer } from './transformer.js';

export interface ReencryptOptions {
  /** Keys read per etcd request (default 500). */
  readonly pageSize?: number;
  /** Compare-and-swap attempts per key before giving up on it (default 10). */
  readonly maxAttempts?: number;
}

export interface ResourceReencryption {
  readonly resource: string;
  /** What writes now: `aesgcm key "key2"` or `identity`. */
  readonly writes: string;
  /** Objects stored when the pass listed them. */
  readonly total: number;
  /** Objects rewritten by this pass. */
  readonly rewritten: number;
  /** One line per object that could not be rewritten, naming its key. */
  readonly failures: readonly string[];
}

type Outcome = 'rewritten' | 'current' | 'gone' | { readonly failure: string };

async function rewrite(storage: Storage, t: ValueTransformer, first: KeyValue, maxAttempts: number): Promise<Outcome> {
  let kv = first;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    let plaintext: string;
    try {
      const read = t.fromStorage(kv.value, kv.key);
      if (!read.stale) return 'current';
      plaintext = read.value;
    } catch (e) {
      if (e instanceof TransformError) return { failure: `${kv.key}: cannot decrypt: ${e.message}` };
      throw e;
    }
    const res = await storage.update(kv.key, t.toStorage(plaintext, kv.key), kv.modRevision);
    if (res.ok) return 'rewritten';
    if (!res.current) return 'gone';
    kv = res.current;
  }
  return { failure: `${kv.key}: still changing after ${maxAttempts} attempts; run reencrypt again` };
}

/**
 * Rewrites the stale objects of every resource in `config`. `storage` must be the raw store
 * (not an EncryptingStorage): this reads and writes the stored form itself.
 */
export async function reencrypt(storage: Storage, config: EncryptionConfig, options: ReencryptOptions = {}): Promise<ResourceReencryption[]> {
  const pageSize = options.pageSize ?? 500;
  const maxAttempts = options.maxAttempts ?? 10;
  const results: ResourceReencryption[] = [];
  for (const [resource, providers] of config.resources) {
    const t = new ValueTransformer(providers);
    const prefix = `${REGISTRY_ROOT}${resource}/`;
    let total = 0;
    let rewritten = 0;
    const failures: string[] = [];
    // Pages of one snapshot, so an object is seen once even while others are created.
    let page = await storage.list(prefix, { limit: pageSize });
    const revision = page.revision;
    for (;;) {
      for (const kv of page.items) {
        total++;
        const outcome = await rewrite(storage, t, kv, maxAttempts);
        if (outcome === 'rewritten') rewritten++;
        else if (typeof outcome === 'object') failures.push(outcome.failure);
      }
      const last = page.items[page.items.length - 1];
      if (!page.more || !last) break;
      page = await storage.list(prefix, { startKey: `${last.key}\0`, limit: pageSize, revision });
    }
    results.push({ resource, writes: t.writes, total, rewritten, failures });
  }
  return results;
}

/** `re-encrypted 3 of 5 secrets with aesgcm key "key2"` */
export function formatReencryption(r: ResourceReencryption): string {
  return `re-encrypted ${r.rewritten} of ${r.total} ${r.resource} with ${r.writes}`;
}

/** The reencrypt subcommand's flags, files read. */
export interface ReencryptCommandOptions {
  readonly etcdServers: readonly string[];
  readonly etcdTls?: EtcdTls;
  /** --encryption-provider-config: the one the API servers run with. */
  readonly encryptionConfig: EncryptionConfig;
}

/**
 * Runs the subcommand: one line per resource on `out`, one per failure on `err`. Resolves
 * true when every object is now written by the current provider and key.
 */
export async function runReencrypt(options: ReencryptCommandOptions, out: (line: string) => void, err: (line: string) => void): Promise<boolean> {
  let storage: EtcdStorage | undefined;
  try {
    storage = new EtcdStorage({ endpoints: options.etcdServers, ...(options.etcdTls ? { tls: options.etcdTls } : {}) });
    let ok = true;
    for (const r of await reencrypt(storage, options.encryptionConfig)) {
      out(formatReencryption(r));
      for (const f of r.failures) err(f);
      if (r.failures.length) ok = false;
    }
    return ok;
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return false;
  } finally {
    await storage?.close();
  }
}
