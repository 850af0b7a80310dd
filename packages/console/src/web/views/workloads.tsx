// Deployments with their rollout progress, the ReplicaSets under each (by revision) and their
// pods; then every pod, kubectl get pods' columns. All namespaces, or one.
import type { Deployment, Pod, ReplicaSet } from '@tugboat/api';
import { useLiveList } from '../api/reflector.js';
import { age } from '../model/events.js';
import { readyText, restarts } from '../model/pod-status.js';
import { ownedBy, revisionOf, rolloutProgress } from '../model/rollout.js';
import { href, podHref } from '../route.js';
import { Loading, PodStatus, Problem } from './common.js';

const scoped = (group: string, resource: string, namespace: string): string =>
  `${group}${namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''}/${resource}`;

function DeploymentCard({ d, replicaSets, pods }: { d: Deployment; replicaSets: readonly ReplicaSet[]; pods: readonly Pod[] }) {
  const p = rolloutProgress(d);
  const pct = (n: number): string => `${p.desired > 0 ? Math.min(100, (n / p.desired) * 100) : 100}%`;
  const mine = replicaSets.filter((rs) => ownedBy(rs, d)).sort((a, b) => Number(revisionOf(b)) - Number(revisionOf(a)));
  const ns = d.metadata?.namespace ?? '';
  return (
    <section class="workload" data-deployment={`${ns}/${d.metadata?.name ?? ''}`}>
      <header>
        <b>{ns}/{d.metadata?.name}</b>
        <span data-role="ready">{p.ready}/{p.desired} ready</span>
        <span class="muted">{p.updated} up-to-date · {p.available} available</span>
      </header>
      <div class="progress" title={p.message}>
        <span class="progress-updated" style={{ width: pct(p.updated) }} />
        <span class="progress-available" style={{ width: pct(p.available) }} />
      </div>
      <p class={p.complete ? 'muted' : 'waiting'} data-role="rollout">{p.message}</p>
      {mine.map((rs) => {
        const rsPods = pods.filter((pod) => ownedBy(pod, rs));
        return (
          <div class="replicaset" key={rs.metadata?.uid} data-replicaset={rs.metadata?.name}>
            <span>ReplicaSet {rs.metadata?.name} <span class="muted">rev {revisionOf(rs)} · {rs.status?.readyReplicas ?? 0}/{rs.spec?.replicas ?? 0} ready</span></span>
            <span class="pods">
              {rsPods.map((pod) => (
                <a key={pod.metadata?.uid} class="pod-link" href={podHref(pod.metadata?.namespace, pod.metadata?.name)} data-pod={`${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`}>
                  {pod.metadata?.name} <PodStatus pod={pod} />
                </a>
              ))}
            </span>
          </div>
        );
      })}
    </section>
  );
}

export function WorkloadsPage({ namespace }: { namespace: string }) {
  const deployments = useLiveList<Deployment>(scoped('/apis/apps/v1', 'deployments', namespace));
  const replicaSets = useLiveList<ReplicaSet>(scoped('/apis/apps/v1', 'replicasets', namespace));
  const pods = useLiveList<Pod>(scoped('/api/v1', 'pods', namespace));
  const now = Date.now();
  const sortedPods = [...pods.items].sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
  const sortedDeployments = [...deployments.items].sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
  return (
    <div data-view="workloads">
      <div class="toolbar">
        <form onSubmit={(e) => {
          e.preventDefault();
          const v = ((e.currentTarget as HTMLFormElement).elements.namedItem('ns') as HTMLInputElement).value.trim();
          location.hash = href({ page: 'workloads', namespace: v });
        }}>
          <input name="ns" placeholder="Namespace (empty: all)" value={namespace} />
        </form>
      </div>
      <Problem error={deployments.error ?? replicaSets.error ?? pods.error} />
      <Loading loading={deployments.loading || pods.loading} />
      <h3>Deployments</h3>
      {sortedDeployments.length ? sortedDeployments.map((d) => <DeploymentCard key={d.metadata?.uid} d={d} replicaSets={replicaSets.items} pods={pods.items} />) : <p class="muted">None.</p>}
      <h3>Pods</h3>
      <table data-role="pods">
        <thead><tr><th>Namespace</th><th>Name</th><th>Ready</th><th>Status</th><th>Restarts</th><th>Node</th><th>Age</th></tr></thead>
        <tbody>
          {sortedPods.map((p) => (
            <tr key={p.metadata?.uid} data-pod={`${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`}>
              <td>{p.metadata?.namespace}</td>
              <td><a href={podHref(p.metadata?.namespace, p.metadata?.name)}>{p.metadata?.name}</a></td>
              <td>{readyText(p)}</td><td><PodStatus pod={p} /></td><td>{restarts(p)}</td>
              <td>{p.spec?.nodeName ?? ''}</td><td>{age(p.metadata?.creationTimestamp, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
