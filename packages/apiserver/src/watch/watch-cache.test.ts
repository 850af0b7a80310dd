import test from 'ava';
import type { ApiError } from '@tugboat/api';
import { parseStorageKey } from '../registry/keys.js';
import type { StorageEvent } from '../storage/storage.js';
import { Change } from './change.js';
import { Subscribers, type Subscriber } from './watch-cache.js';

const pod = (node: string, phase = 'Running'): string => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { nodeName: node }, status: { phase } });
const KEY = '/registry/pods/default/p';
const change = (ev: StorageEvent): Change => new Change(ev, parseStorageKey(ev.key)!);

function recorder(index?: { field: string; value: string }): Subscriber & { got: number[] } {
  const got: number[] = [];
  return { resource: 'pods', ...(index ? { index } : {}), got, deliver: (c) => got.push(c.revision), progress: () => undefined, expire: (_e: ApiError) => undefined };
}

test('watchers indexed by a field get only the changes whose object had or has their value; the rest get everything', (t) => {
  const subs = new Subscribers();
  const all = recorder();
  const n1 = recorder({ field: 'spec.nodeName', value: 'node-1' });
  const n2 = recorder({ field: 'spec.nodeName', value: 'node-2' });
  const running = recorder({ field: 'status.phase', value: 'Running' });
  const unscheduled = recorder({ field: 'spec.nodeName', value: '' });
  for (const s of [all, n1, n2, running, unscheduled]) subs.add(s);
  subs.deliver(change({ type: 'put', key: KEY, value: pod(''), prevValue: undefined, revision: 1 }));
  subs.deliver(change({ type: 'put', key: KEY, value: pod('node-1'), prevValue: pod(''), revision: 2 }));
  subs.deliver(change({ type: 'put', key: KEY, value: pod('node-1', 'Succeeded'), prevValue: pod('node-1'), revision: 3 }));
  subs.deliver(change({ type: 'delete', key: KEY, prevValue: pod('node-1', 'Succeeded'), revision: 4 }));
  // A delete whose last state is gone: every indexed watcher hears of it.
  subs.deliver(change({ type: 'delete', key: KEY, prevValue: undefined, revision: 5 }));
  t.deepEqual(all.got, [1, 2, 3, 4, 5]);
  t.deepEqual(n1.got, [2, 3, 4, 5]);
  t.deepEqual(n2.got, [5]);
  t.deepEqual(running.got, [1, 2, 3, 5], 'both the state it left and the one it came to count');
  t.deepEqual(unscheduled.got, [1, 2, 5]);
  subs.delete(n1);
  subs.delete(all);
  subs.deliver(change({ type: 'put', key: KEY, value: pod('node-1'), prevValue: undefined, revision: 6 }));
  t.deepEqual(n1.got, [2, 3, 4, 5]);
  t.deepEqual(all.got, [1, 2, 3, 4, 5]);
  t.is([...subs.all()].length, 3);
});
