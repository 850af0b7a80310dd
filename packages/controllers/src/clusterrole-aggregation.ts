// Kubernetes' clusterrole-aggregation controller: a ClusterRole with an aggregationRule holds
// the rules of the ClusterRoles its selectors match, kept so as those come, change and go
// (how admin, edit and view grow when a role labelled aggregate-to-view appears). The rules
// are computed by @tugboat/api's aggregatedRules, the function the API server fills the
// default roles with at start-up, so both agree rule for rule.
//
// Any ClusterRole change queues every aggregated role: there are few, and knowing which
// selectors a change touches would cost more than re-checking them all.
import { aggregatedRules, ruleListsEqual, type ClusterRole, type Informer, type KubeObject, type TugboatClient } from '@tugboat/api';
import { realClock, type Clock } from '@tugboat/api';
import { consoleLogger, runWorkers, type Logger } from './controller.js';
import type { SharedInformers } from './informers.js';
import type { ControllerMetrics } from './metrics.js';
import { WorkQueue } from './workqueue.js';

export type ClusterRoleObject = ClusterRole & KubeObject;

export interface ClusterRoleAggregationOptions {
  client: TugboatClient;
  informers: SharedInformers;
  clock?: Clock;
  metrics?: ControllerMetrics;
  log?: Logger;
  workers?: number;
}

export class ClusterRoleAggregationController {
  readonly queue: WorkQueue;
  private readonly client: TugboatClient;
  private readonly roles: Informer<ClusterRoleObject>;
  private readonly log: Logger;
  private readonly workers: number;

  constructor(opts: ClusterRoleAggregationOptions) {
    this.client = opts.client;
    this.log = opts.log ?? consoleLogger;
    this.workers = opts.workers ?? 5;
    // Kubernetes' queue name, so its workqueue metrics read the same.
    this.queue = new WorkQueue({ name: 'ClusterRoleAggregator', clock: opts.clock ?? realClock, ...(opts.metrics ? { metrics: opts.metrics } : {}) });
    this.roles = opts.informers.forResource<ClusterRoleObject>('clusterroles');
    const all = (): void => this.enqueueAggregated();
    this.roles.onAdd(all).onUpdate(all).onDelete(all);
  }

  run(): Promise<void> {
    return runWorkers(this.queue, (key) => this.sync(key), this.workers, this.log);
  }

  stop(): void {
    this.queue.shutDown();
  }

  private enqueueAggregated(): void {
    for (const r of this.roles.list()) if (r.aggregationRule) this.queue.add(r.metadata?.name ?? '');
  }

  /** Writes the role's rules when they differ from what its selectors gather; a conflict re-queues it. */
  async sync(name: string): Promise<void> {
    const role = this.roles.get(name);
    if (!role) return;
    const rules = aggregatedRules(role, this.roles.list());
    if (!rules || ruleListsEqual(rules, role.rules)) return;
    await this.client.update<ClusterRoleObject>({ ...role, rules });
  }
}
