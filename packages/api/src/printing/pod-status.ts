// A pod's READY, STATUS and RESTARTS columns, computed as kubectl's printPod does: the
// status is the most telling reason among phase, init containers and containers
// (CrashLoopBackOff, Completed, ExitCode:1, Terminating, …). Sidecars (init containers with
// restartPolicy Always) count as containers: one main and one sidecar, both ready, is 2/2.
import type { Pod, ContainerStatus } from '../types.js';
import { isRestartableInitContainer } from '../sidecars.js';
import { age } from './age.js';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
  restartCount: number;
}

export function podSummary(pod: Pod, now: number): PodSummary {
  const spec = pod.spec ?? { containers: [] };
  const status = pod.status ?? {};
  const sidecars = new Set((spec.initContainers ?? []).filter(isRestartableInitContainer).map((c) => c.name));
  const totalContainers = (spec.containers?.length ?? 0) + sidecars.size;
  let readyContainers = 0;
  let restarts = 0;
  let lastRestart = 0;
  // Once initialized, RESTARTS counts the sidecars' restarts with the regular containers'.
  let sidecarRestarts = 0;
  let lastSidecarRestart = 0;
  let reason: string = status.reason || status.phase || 'Pending';

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i]!;
    restarts += c.restartCount ?? 0;
    const finished = Date.parse(c.lastState?.terminated?.finishedAt ?? '') || 0;
    lastRestart = Math.max(lastRestart, finished);
    const sidecar = sidecars.has(c.name);
    if (sidecar) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = Math.max(lastSidecarRestart, finished);
    }
    const term = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (sidecar && c.started) {
      if (c.ready) readyContainers++;
      continue;
    }
    if (term) {
      reason = term.reason ? `Init:${term.reason}` : term.signal ? `Init:Signal:${term.signal}` : `Init:ExitCode:${term.exitCode}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${spec.initContainers?.length ?? initStatuses.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = (status.conditions ?? []).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses: ContainerStatus[] = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]!;
      restarts += c.restartCount ?? 0;
      const finished = c.lastState?.terminated?.finishedAt;
      if (finished) lastRestart = Math.max(lastRestart, Date.parse(finished) || 0);
      const waiting = c.state?.waiting;
      const term = c.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata?.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata?.deletionTimestamp && !terminal) reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartsText = `${restarts} (${age(new Date(lastRestart).toISOString(), now)} ago)`;
  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartsText, restartCount: restarts };
}
