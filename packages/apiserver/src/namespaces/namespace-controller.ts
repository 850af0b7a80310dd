// Namespaces inside the API server: the built-in ones are created when missing, and a
// Terminating namespace is emptied (everything in it deleted, as any client would) and then
// removed. Level-triggered on a timer, so after a restart it simply finishes what it finds.
import { ApiError, BUILTIN_NAMESPACES, KINDS, type KubeObject } from '@tugboat/api';
import type { Registry } from '../registry/registry.js';

export interface NamespaceControllerOptions {
  readonly intervalMs?: number;
  readonly log?: (line: string) => void;
}

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
      if (isTerminating(ns)) await this.finalize(ns.metadata?.name ?? '');
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
