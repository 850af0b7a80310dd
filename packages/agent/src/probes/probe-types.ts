// The vocabulary shared by the probe runners, the state machine, the prober and the pod
// status computation.

/** Which of a container's three probes (Kubernetes' probeType). */
export type ProbeKind = 'liveness' | 'readiness' | 'startup';

export const PROBE_KINDS: readonly ProbeKind[] = ['startup', 'liveness', 'readiness'];

/**
 * The published verdict of one probe of one container instance, after thresholds:
 * `unknown` only for a startup probe that has not decided yet.
 */
export type ProbeResult = 'success' | 'failure' | 'unknown';

/**
 * What one run of a probe found (before thresholds). `warning` counts as a success but is
 * worth an Event (an HTTP redirect to another host, not followed); `error` counts as a
 * failure that says the probe itself could not run (bad port name, runtime exec failed).
 */
export interface ProbeOutcome {
  result: 'success' | 'warning' | 'failure' | 'error';
  /** Why, in Kubernetes' words (`HTTP probe failed with statuscode: 500`); the body or output on success. */
  output: string;
}

/** Read access to the current verdicts, by runtime container id. */
export interface ProbeResults {
  result(containerId: string, kind: ProbeKind): ProbeResult | undefined;
}

/** `Liveness` for event messages (`Liveness probe failed: …`). */
export function kindTitle(kind: ProbeKind): string {
  switch (kind) {
    case 'liveness': return 'Liveness';
    case 'readiness': return 'Readiness';
    case 'startup': return 'Startup';
  }
}

/** Probe output kept for messages: Kubernetes reads at most 10 KiB of a body or command output. */
export const MAX_PROBE_OUTPUT = 10 * 1024;

export function limitOutput(s: string): string {
  return s.length > MAX_PROBE_OUTPUT ? s.slice(0, MAX_PROBE_OUTPUT) : s;
}
