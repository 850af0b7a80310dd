// Kubernetes' clusterrole-aggregation controller: a ClusterRole with an aggregationRule holds
// the rules of the ClusterRoles its selectors match, kept so as those come, change and go
// (how admin, edit and view grow when a role labelled aggregate-to-view appears). The rules
// are computed by @tugboat/api's aggregatedRules, the function the API server fills the
// default roles with at start-up, so both agree rule for rule.
//
// Any ClusterRole change queues every aggregated role: there are few, and knowing which
// selectors a change touches would cost more than re-checking them all.
import { aggregatedRules, ruleListsEqual, type ClusterRole, type Informer, type KubeObject } from '@tugboat/api';
import type { SharedInformers } from './informers.js';
import { QueueController, type ControllerOptions } from './queue-controller.js';

export type ClusterRoleObject = ClusterRole & KubeObject;

export interface ClusterRoleAggregationOptions extends ControllerOptions {
  informers: SharedInformers;
}

export class ClusterRoleAggregationController extends QueueController {
  private readonly roles: Informer<ClusterRoleObject>;

  constructor(opts: ClusterRoleAggregationOptions) {
    // Kubernetes' queue name, so its workqueue metrics read the same.
    super('ClusterRoleAggregator', opts, 5);
    this.roles = opts.informers.forResource<ClusterRoleObject>('clusterroles');
    const all = (): void => this.enqueueAggregated();
    this.roles.onAdd(all).onUpdate(all).onDelete(all);
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
