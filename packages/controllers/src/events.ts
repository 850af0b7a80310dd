// Events the controllers record about what they did, through @tugboat/api's recordEvent
// (aggregated repeats, never throws). Recording is fire-and-forget: a sync never waits for
// or fails on its events.
import { recordEvent, type EventType, type KubeObject, type TugboatClient } from '@tugboat/api';
import type { Clock } from '@tugboat/api';

export interface EventRecorder {
  event(involved: KubeObject, type: EventType, reason: string, message: string): void;
}

/** Records Events through the API as `component` (Kubernetes' names: "replicaset-controller", …). */
export function apiEventRecorder(client: TugboatClient, component: string, clock?: Clock): EventRecorder {
  return {
    event(involved, type, reason, message) {
      void recordEvent(client, involved, type, reason, message, component, clock ? { now: () => new Date(clock.now()) } : {});
    },
  };
}

export interface RecordedEvent {
  kind: string;
  name: string;
  namespace: string;
  type: EventType;
  reason: string;
  message: string;
}

/** Keeps events in memory: for tests of pure-ish controller logic. */
export class MemoryEventRecorder implements EventRecorder {
  readonly events: RecordedEvent[] = [];
  event(involved: KubeObject, type: EventType, reason: string, message: string): void {
    this.events.push({
      kind: involved.kind ?? '',
      name: involved.metadata?.name ?? '',
      namespace: involved.metadata?.namespace ?? '',
      type,
      reason,
      message,
    });
  }
  reasons(): string[] {
    return this.events.map((e) => e.reason);
  }
}
