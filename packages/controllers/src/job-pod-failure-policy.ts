// podFailurePolicy matching (Kubernetes' pod_failure_policy.go), pure: the first rule that
// matches a failed pod decides — FailJob (the Job fails now), Ignore (not counted against
// backoffLimit), Count (as without a policy). Exit code 0 never matches an onExitCodes rule.
import type { ContainerStatus, Pod, PodFailurePolicy, PodFailurePolicyRule } from '@tugboat/api';

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailureMatch {
  /** The matched rule's action; undefined when no rule matched (the failure counts). */
  action: PodFailureAction | undefined;
  /** Whether the failure counts against backoffLimit. */
  countFailed: boolean;
  /** For FailJob: the Job's failure message, in Kubernetes' words. */
  message?: string;
}

function exitCodeMatches(code: number, rule: NonNullable<PodFailurePolicyRule['onExitCodes']>): boolean {
  const listed = (rule.values ?? []).includes(code);
  switch (rule.operator) {
    case 'In': return listed;
    case 'NotIn': return !listed;
    default: return false;
  }
}

function matchingContainer(statuses: readonly ContainerStatus[] | undefined, rule: NonNullable<PodFailurePolicyRule['onExitCodes']>): ContainerStatus | undefined {
  return (statuses ?? []).find((s) => {
    const code = s.state?.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    if (rule.containerName !== undefined && rule.containerName !== s.name) return false;
    return exitCodeMatches(code, rule);
  });
}

function asAction(a: string): PodFailureAction | undefined {
  switch (a) {
    case 'FailJob': case 'FailIndex': case 'Ignore': case 'Count': return a;
    default: return undefined;
  }
}

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailureMatch {
  if (!policy) return { action: undefined, countFailed: true };
  const where = `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
  for (const [i, rule] of (policy.rules ?? []).entries()) {
    const action = asAction(rule.action);
    if (!action) continue;
    let message: string | undefined;
    if (rule.onExitCodes) {
      const c = matchingContainer(pod.status?.containerStatuses, rule.onExitCodes) ?? matchingContainer(pod.status?.initContainerStatuses, rule.onExitCodes);
      if (!c) continue;
      message = `Container ${c.name} for pod ${where} failed with exit code ${c.state?.terminated?.exitCode ?? ''} matching ${action} rule at index ${i}`;
    } else if (rule.onPodConditions) {
      const cond = (pod.status?.conditions ?? []).find((pc) => rule.onPodConditions?.some((pat) => pat.type === pc.type && pat.status === pc.status));
      if (!cond) continue;
      message = `Pod ${where} has condition ${cond.type} matching ${action} rule at index ${i}`;
    } else continue;
    switch (action) {
      case 'Ignore': return { action, countFailed: false };
      case 'Count': return { action, countFailed: true };
      case 'FailJob': return { action, countFailed: true, message };
      // Per-index back-off is not implemented: the index's failure counts like any other.
      case 'FailIndex': return { action, countFailed: true };
    }
  }
  return { action: undefined, countFailed: true };
}
