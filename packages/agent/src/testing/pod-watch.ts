// Waiting on what the agent does to a pod, for the agent's end-to-end tests: the pod reaching
// a state, and its Events. A timeout says what the pod's status was last, and what the
// caller adds (e.g. the agent's output), so a failure shows why.
import type { Event, KubeObject, Pod, TugboatClient } from '@tugboat/api';
import { waitFor } from '@tugboat/test';

type PodObject = Pod & KubeObject;
type EventObject = Event & KubeObject;

export interface PodWatch {
  waitPod(name: string, what: string, check: (p: PodObject) => boolean, timeoutMs?: number): Promise<PodObject>;
  eventsOf(name: string): Promise<EventObject[]>;
  waitEvent(name: string, what: string, match: (e: EventObject) => boolean, timeoutMs?: number): Promise<EventObject>;
}

/** `client` is read at each call: tests assign theirs in test.before. Pods are in `default`. */
export function podWatch(client: () => TugboatClient, opts: { timeoutMs?: number; context?: () => string } = {}): PodWatch {
  const timeout = opts.timeoutMs ?? 20_000;
  const eventsOf = async (name: string): Promise<EventObject[]> =>
    (await client().list<EventObject>('events', { namespace: 'default' })).items.filter((e) => e.involvedObject?.name === name);
  return {
    eventsOf,
    async waitPod(name, what, check, timeoutMs = timeout) {
      let last: PodObject | undefined;
      await waitFor(`pod ${name} ${what}`, async () => {
        last = await client().tryGet<PodObject>('pods', 'default', name);
        return !!last && check(last);
      }, timeoutMs, 100).catch((e: Error) => {
        const more = opts.context?.();
        throw new Error(`${e.message}; last status: ${JSON.stringify(last?.status)}${more ? `; ${more}` : ''}`);
      });
      return last!;
    },
    async waitEvent(name, what, match, timeoutMs = timeout) {
      let found: EventObject | undefined;
      await waitFor(`pod ${name}: ${what}`, async () => {
        found = (await eventsOf(name)).find(match);
        return !!found;
      }, timeoutMs, 100);
      return found!;
    },
  };
}
