// A watch response is one JSON object per line, arriving in chunks that cut lines anywhere.
import type { KubeObject } from '@tugboat/api';

export class LineSplitter {
  private rest = '';

  /** The complete lines in `chunk` (with what was left over before), keeping a partial one. */
  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '');
  }
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchLine {
  readonly type: WatchEventType;
  readonly object: KubeObject;
}

const TYPES: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** One watch line, or undefined for a line that is not a watch event (skipped, not fatal). */
export function parseWatchLine(line: string): WatchLine | undefined {
  try {
    const v = JSON.parse(line) as { type?: unknown; object?: unknown };
    if (typeof v.type !== 'string' || !TYPES.has(v.type) || typeof v.object !== 'object' || v.object === null) return undefined;
    return { type: v.type as WatchEventType, object: v.object as KubeObject };
  } catch {
    return undefined;
  }
}
