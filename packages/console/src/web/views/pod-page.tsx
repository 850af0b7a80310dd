// One pod: status, containers, the scheduler's reason while it is Pending, its events, and its
// logs — the tail, then followed as they are written (pods/log?follow=true, streamed by the
// API server from the pod's node).
import type { Event, Pod } from '@tugboat/api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiHttpError, apiFetch } from '../api/http.js';
import { useLiveList } from '../api/reflector.js';
import { age, eventsAbout, eventTime } from '../model/events.js';
import { readyText, restarts, schedulingProblem } from '../model/pod-status.js';
import { Loading, PodStatus, Problem } from './common.js';

/** The page keeps this many lines of a followed log; older ones scroll away. */
const MAX_LOG_LINES = 2000;
const TAIL_LINES = 200;

function LogPane({ namespace, name, container }: { namespace: string; name: string; container: string }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [follow, setFollow] = useState(true);
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const abort = new AbortController();
    setText('');
    setError(undefined);
    const q = new URLSearchParams({ container, tailLines: String(TAIL_LINES), ...(follow ? { follow: 'true' } : {}) });
    void (async () => {
      try {
        const res = await apiFetch(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log?${q.toString()}`, abort.signal);
        const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
        if (!reader) return;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          setText((t) => {
            const lines = (t + value).split('\n');
            return lines.length > MAX_LOG_LINES ? lines.slice(-MAX_LOG_LINES).join('\n') : t + value;
          });
        }
      } catch (e) {
        if (!abort.signal.aborted) setError(e instanceof ApiHttpError ? e.message : String(e));
      }
    })();
    return () => abort.abort();
  }, [namespace, name, container, follow]);
  useEffect(() => {
    // Stay at the bottom while following, as `tctl logs -f` does.
    if (follow && pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text, follow]);
  return (
    <div class="logs">
      <label><input type="checkbox" checked={follow} data-role="follow" onChange={(e) => setFollow((e.currentTarget as HTMLInputElement).checked)} /> follow</label>
      <Problem error={error} />
      <pre ref={pre} data-role="logs" data-container={container}>{text}</pre>
    </div>
  );
}

function EventRows({ events }: { events: readonly Event[] }) {
  const now = Date.now();
  if (!events.length) return <p class="muted">No events.</p>;
  return (
    <table class="events" data-role="pod-events">
      <thead><tr><th>Type</th><th>Reason</th><th>Age</th><th>From</th><th>Message</th></tr></thead>
      <tbody>
        {events.map((e) => (
          <tr key={e.metadata?.uid} class={e.type === 'Warning' ? 'warning' : ''}>
            <td>{e.type}</td><td>{e.reason}</td><td>{age(eventTime(e), now)}{(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}</td>
            <td>{e.source?.component ?? e.reportingComponent ?? ''}</td><td>{e.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PodPage({ namespace, name }: { namespace: string; name: string }) {
  const pods = useLiveList<Pod>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, `fieldSelector=${encodeURIComponent(`metadata.name=${name}`)}`);
  const events = useLiveList<Event>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, `fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`);
  const pod = pods.items[0];
  const [container, setContainer] = useState('');
  const about = eventsAbout(events.items, 'Pod', namespace, name);
  if (!pod) {
    return (
      <div data-view="pod">
        <h2>{namespace}/{name}</h2>
        <Problem error={pods.error} />
        {pods.loading ? <Loading loading /> : <p class="muted" data-role="gone">No such pod (it may have been deleted).</p>}
        <EventRows events={about} />
      </div>
    );
  }
  const problem = schedulingProblem(pod);
  const containers = pod.spec?.containers.map((c) => c.name) ?? [];
  const shown = containers.includes(container) ? container : (containers[0] ?? '');
  const started = !!pod.spec?.nodeName && pod.status?.phase !== 'Pending';
  const now = Date.now();
  return (
    <div data-view="pod" data-pod={`${namespace}/${name}`}>
      <h2>{namespace}/{name} <PodStatus pod={pod} /></h2>
      <Problem error={pods.error ?? events.error} />
      {problem ? (
        <div class="scheduling" data-role="scheduling">
          <b>{problem.reason}:</b> {problem.message}
        </div>
      ) : null}
      <dl class="facts">
        <dt>Node</dt><dd data-role="node">{pod.spec?.nodeName ?? '(not scheduled)'}</dd>
        <dt>Phase</dt><dd data-role="phase">{pod.status?.phase ?? ''}</dd>
        <dt>Ready</dt><dd>{readyText(pod)}</dd>
        <dt>Restarts</dt><dd>{restarts(pod)}</dd>
        <dt>Pod IP</dt><dd>{pod.status?.podIP ?? ''}</dd>
        <dt>Age</dt><dd>{age(pod.metadata?.creationTimestamp, now)}</dd>
        <dt>Owner</dt><dd>{(pod.metadata?.ownerReferences ?? []).map((o) => `${o.kind}/${o.name}`).join(', ') || '–'}</dd>
      </dl>
      <h3>Containers</h3>
      <table>
        <thead><tr><th>Name</th><th>Image</th><th>State</th><th>Ready</th><th>Restarts</th></tr></thead>
        <tbody>
          {(pod.spec?.containers ?? []).map((c) => {
            const st = pod.status?.containerStatuses?.find((s) => s.name === c.name);
            const state = st?.state?.running ? 'running' : st?.state?.waiting ? `waiting: ${st.state.waiting.reason ?? ''}` : st?.state?.terminated ? `terminated: ${st.state.terminated.reason ?? st.state.terminated.exitCode}` : '–';
            return <tr key={c.name}><td>{c.name}</td><td>{c.image}</td><td>{state}</td><td>{st?.ready ? 'yes' : 'no'}</td><td>{st?.restartCount ?? 0}</td></tr>;
          })}
        </tbody>
      </table>
      <h3>Events</h3>
      <EventRows events={about} />
      <h3>Logs {containers.length > 1 ? (
        <select value={shown} onChange={(e) => setContainer((e.currentTarget as HTMLSelectElement).value)}>
          {containers.map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
      ) : <span class="muted">({shown})</span>}</h3>
      {started
        ? <LogPane key={`${shown}/${pod.spec?.nodeName ?? ''}`} namespace={namespace} name={name} container={shown} />
        : <p class="muted">No logs until the pod runs on a node.</p>}
    </div>
  );
}
