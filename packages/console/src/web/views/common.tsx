// Small pieces every page uses.
import type { Pod } from '@tugboat/api';
import { podHealth, podStatusText } from '../model/pod-status.js';

export function Problem({ error }: { error: string | undefined }) {
  return error ? <p class="error" data-role="error">{error}</p> : null;
}

export function Loading({ loading }: { loading: boolean }) {
  return loading ? <p class="muted">Loading…</p> : null;
}

export function PodStatus({ pod }: { pod: Pod }) {
  return <span class={`status ${podHealth(pod)}`}>{podStatusText(pod)}</span>;
}
