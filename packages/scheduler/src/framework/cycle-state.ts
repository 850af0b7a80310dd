// Data one scheduling cycle shares between its plugins (a PreFilter compiles the pod's node
// selector once; its Filter reads it for every node). Discarded after the cycle.
export class CycleState {
  private readonly data = new Map<string, unknown>();

  /** The cycle's clock reading, ms since the epoch: one "now" for every node. */
  constructor(readonly now: number) {}

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }

  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
}
