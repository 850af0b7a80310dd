// Namespaces inside the API server: the built-in ones are created when missing, and a
// Terminating namespace is emptied (everything in it deleted, as any client would) and then
// removed. Level-triggered on a timer, so after a restart it simply finishes what it finds.
//
// Emptying starts a few seconds after the deletion, as Kubernetes' namespace controller waits
// namespaceDeletionGracePeriod (5 s): every API server has then seen the namespace terminating
// and refuses new content in it, and a client deleting the namespace and its objects in one
// go (`kubectl delete -f` of a file that holds both) finds them still there rather than
// already gone (NotFound, exit 1).
import { ApiError, BUILTIN_NAMESPACES, KINDS, type KubeObject } from '@tugboat/api';
import type { Registry } from '../registry/registry.js';

export interface NamespaceControllerOptions {
  readonly intervalMs?: number;
  readonly log?: (line: string) => void;
}

/** How long after its deletion a namespace is emptied (Kubernetes' namespaceDeletionGracePeriod). */
const DELETION_GRACE_MS = 5_000;

function isTerminating(ns: KubeObject): boolean {
  return !!ns.metadata?.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating';
}

export class NamespaceController {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private bootstrapped = false;
  private running: Promise<void> | undefined;
  private lastError = '';

  constructor(private readonly registry: Registry, private readonly options: NamespaceControllerOptions = {}) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.syncOnce()
        .catch((e: unknown) => this.report(e))
        .finally(() => {
          this.running = undefined;
          if (!this.stopped) this.timer = setTimeout(tick, this.options.intervalMs ?? 1_000);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass: create missing built-in namespaces, advance every Terminating one. */
  async syncOnce(): Promise<void> {
    if (!this.bootstrapped) {
      await this.ensureBuiltins();
      this.bootstrapped = true;
    }
    const { items } = await this.registry.list('namespaces');
    for (const ns of items) {
      if (this.stopped) return;
      if (isTerminating(ns) && this.graceOver(ns)) await this.finalize(ns.metadata?.name ?? '');
    }
    this.lastError = '';
  }

  async ensureBuiltins(): Promise<void> {
    for (const name of BUILTIN_NAMESPACES) {
      try {
        await this.registry.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      } catch (e) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
      }
    }
  }

  /** Whether the namespace was deleted long enough ago (see the header); true without a deletion time. */
  private graceOver(ns: KubeObject): boolean {
    const deleted = Date.parse(ns.metadata?.deletionTimestamp ?? '');
    if (Number.isNaN(deleted)) return true;
    return Date.now() - deleted >= DELETION_GRACE_MS;
  }

  /** Deletes what is left in the namespace; removes the namespace once nothing is. */
  private async finalize(namespace: string): Promise<void> {
    let remaining = 0;
    for (const k of KINDS) {
      if (!k.namespaced) continue;
      const { items } = await this.registry.list(k.resource, { namespace });
      for (const obj of items) {
        // Waiting for finalizers: deleting again changes nothing.
        if (obj.metadata?.deletionTimestamp && k.kind !== 'Pod') {
          remaining++;
          continue;
        }
        try {
          const after = await this.registry.delete(k.resource, namespace, obj.metadata?.name ?? '');
          if (after.metadata?.deletionTimestamp) remaining++;
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'NotFound') continue;
          if (e instanceof ApiError && e.reason === 'Conflict') { remaining++; continue; }
          throw e;
        }
      }
    }
    if (remaining === 0) await this.registry.removeTerminatingNamespace(namespace);
  }

  private report(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    // etcd being down is reported once, not every second.
    if (msg !== this.lastError) this.options.log?.(`namespace controller: ${msg}`);
    this.lastError = msg;
  }
}
