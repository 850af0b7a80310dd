// One change from storage, decoded at most once however many watchers receive it.
import { objectFields, type KubeObject } from '@tugboat/api';
import type { ParsedKey } from '../registry/keys.js';
import { decodeObject } from '../registry/object-meta.js';
import type { StorageEvent } from '../storage/storage.js';

export class Change {
  private decoded: KubeObject | undefined | null = null;
  private decodedPrev: KubeObject | undefined | null = null;
  private json = new Map<'object' | 'prev', string>();

  constructor(readonly event: StorageEvent, readonly target: ParsedKey) {}

  get revision(): number { return this.event.revision; }
  get key(): string { return this.event.key; }

  /** The object after the change (undefined for a delete). */
  object(): KubeObject | undefined {
    if (this.decoded === null) this.decoded = this.event.type === 'put' ? safeDecode(this.event.value, this.revision) : undefined;
    return this.decoded;
  }

  /**
   * The object before the change, carrying this change's revision (as Kubernetes sends a
   * deleted object), or undefined when etcd no longer had it.
   */
  previous(): KubeObject | undefined {
    if (this.decodedPrev === null) this.decodedPrev = this.event.prevValue === undefined ? undefined : safeDecode(this.event.prevValue, this.revision);
    return this.decodedPrev;
  }

  /** JSON of object() or previous(), serialised once. */
  jsonOf(which: 'object' | 'prev'): string {
    let s = this.json.get(which);
    if (s === undefined) {
      s = JSON.stringify(which === 'object' ? this.object() : this.previous() ?? this.stub());
      this.json.set(which, s);
    }
    return s;
  }

  /**
   * Forgets the decoded objects and their JSON (kept while the change is fresh, when every
   * watcher reads them); an old change kept for resuming watchers keeps only etcd's bytes.
   */
  release(): void {
    this.decoded = null;
    this.decodedPrev = null;
    this.json.clear();
  }

  /** What a watcher gets for a deleted object whose last state etcd had already compacted. */
  stub(): KubeObject {
    const { info, namespace, name } = this.target;
    return {
      apiVersion: info.apiVersion,
      kind: info.kind,
      metadata: { name, ...(namespace ? { namespace } : {}), resourceVersion: String(this.revision) },
    };
  }
}

function safeDecode(value: string, revision: number): KubeObject | undefined {
  try {
    return decodeObject(value, revision);
  } catch {
    // A value written behind the API server's back that is not JSON: not an object.
    return undefined;
  }
}

// A change's objects are shared by every watcher it goes to: their field-selector fields are
// computed once per object, not once per watcher (1,000 agents each watching pods on their
// node would otherwise compute them 1,000 times per pod event).
const fieldsCache = new WeakMap<KubeObject, Record<string, string>>();

export function fieldsOf(obj: KubeObject): Record<string, string> {
  let f = fieldsCache.get(obj);
  if (!f) fieldsCache.set(obj, (f = objectFields(obj)));
  return f;
}
