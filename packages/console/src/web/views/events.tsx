// Every namespace's events as they happen, newest first (the last 300).
import type { Event } from '@tugboat/api';
import { useLiveList } from '../api/reflector.js';
import { age, eventTime, newestFirst } from '../model/events.js';
import { podHref } from '../route.js';
import { Loading, Problem } from './common.js';

const SHOWN = 300;

export function EventsPage() {
  const events = useLiveList<Event>('/api/v1/events');
  const now = Date.now();
  const rows = newestFirst(events.items, SHOWN);
  return (
    <div data-view="events">
      <Problem error={events.error} />
      <Loading loading={events.loading} />
      <table class="events" data-role="events">
        <thead><tr><th>Last seen</th><th>Type</th><th>Reason</th><th>Object</th><th>Message</th></tr></thead>
        <tbody>
          {rows.map((e) => {
            const o = e.involvedObject;
            const label = `${(o.kind ?? '').toLowerCase()}/${o.name ?? ''}`;
            return (
              <tr key={e.metadata?.uid} class={e.type === 'Warning' ? 'warning' : ''}>
                <td>{age(eventTime(e), now)}</td><td>{e.type}</td><td>{e.reason}</td>
                <td>{o.namespace ? `${o.namespace}/` : ''}{o.kind === 'Pod' ? <a href={podHref(o.namespace, o.name)}>{label}</a> : label}</td>
                <td>{e.message}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
