// The prober: one worker per probe of every running container instance, each on its own
// schedule (initialDelaySeconds after the container started, then every periodSeconds),
// running the probe (exec, httpGet, tcpSocket, grpc) with its timeout and moving the
// published result through the thresholds (probe-state.ts). Like kubelet's prober manager it
// only publishes: a changed result asks the pod worker to sync (status, and the kill of a
// container whose liveness or startup probe failed). Failed runs are Warning `Unhealthy`
// Events (`Liveness probe failed: HTTP probe failed with statuscode: 500`).
//
//   pod worker sync ── update(pod, containers, podIP) ──▶ workers (container id × kind)
//        ▲                                                   │ clock timer → run probe
//        └────────────── onChange(pod uid) ◀── result changed / kill ─┘
//   computePodStatus / pod actions ── result(containerId, kind) ──▶ published results
//
// Liveness and readiness workers of a container with a startup probe exist only once the
// startup probe succeeded. A restart is a new container instance, so it starts afresh.
import { realClock, type Clock, type EventType, type Timer } from '@tugboat/api';
import type { ContainerInfo, Runtime } from '../runtimes/runtime.js';
import { containerIdUri } from '../runtimes/runtime.js';
import { containersOf, instancesOf, isTerminalPhase, sidecarsOf, type PodObject } from '../pods/pod-util.js';
import { execProbe } from './exec-probe.js';
import { grpcProbe } from './grpc-probe.js';
import { httpProbe } from './http-probe.js';
import { initialState, nextProbeAt, recordOutcome, type ProbeState } from './probe-state.js';
import { probeAction, probeOf, probeTiming, type ProbeAction, type ProbeTiming } from './probe-target.js';
import { kindTitle, PROBE_KINDS, type ProbeKind, type ProbeOutcome, type ProbeResult, type ProbeResults } from './probe-types.js';
import { tcpProbe } from './tcp-probe.js';

export interface ProberOptions {
  runtime: Pick<Runtime, 'exec' | 'name'>;
  /** A result changed or a container must be killed: sync this pod. */
  onChange: (podUid: string) => void;
  /** Unhealthy and ProbeWarning Events. */
  onEvent: (pod: PodObject, type: EventType, reason: string, message: string, container: string) => void;
  /** Every probe run, for the agent_prober_probe_total metric. */
  onProbe?: (kind: ProbeKind, result: ProbeOutcome['result']) => void;
  clock?: Clock;
  log?: (msg: string) => void;
}

interface Worker {
  key: string;
  podUid: string;
  pod: PodObject;
  containerId: string;
  containerName: string;
  kind: ProbeKind;
  timing: ProbeTiming;
  action: ProbeAction;
  startedAt: number;
  state: ProbeState;
  /** Cleared (set to undefined) when it fires or the worker is dropped. */
  timer?: Timer | undefined;
  running: boolean;
  stopped: boolean;
}

function workerKey(containerId: string, kind: ProbeKind): string {
  return `${containerId}\u0000${kind}`;
}

export class Prober implements ProbeResults {
  private readonly workers = new Map<string, Worker>();
  private readonly clock: Clock;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly options: ProberOptions) {
    this.clock = options.clock ?? realClock;
  }

  result(containerId: string, kind: ProbeKind): ProbeResult | undefined {
    return this.workers.get(workerKey(containerId, kind))?.state.result;
  }

  /**
   * Brings the workers of one pod in line with its running containers: new instances get
   * workers, instances that stopped lose theirs. Called on every sync of the pod.
   */
  update(pod: PodObject, containers: readonly ContainerInfo[], podIP: string): void {
    const uid = pod.metadata?.uid ?? '';
    const wanted = new Set<string>();
    const active = !pod.metadata?.deletionTimestamp && !isTerminalPhase(pod.status?.phase);
    // Sidecars are probed as regular containers are (plain init containers are not).
    for (const spec of active ? [...sidecarsOf(pod), ...containersOf(pod)] : []) {
      const latest = instancesOf(containers, spec.name)[0];
      if (!latest || latest.state !== 'running') continue;
      for (const kind of PROBE_KINDS) {
        const probe = probeOf(spec, kind);
        if (!probe) continue;
        // Liveness and readiness wait for the startup probe (kubelet's gate).
        if (kind !== 'startup' && spec.startupProbe && this.result(latest.id, 'startup') !== 'success') continue;
        const key = workerKey(latest.id, kind);
        wanted.add(key);
        const existing = this.workers.get(key);
        if (existing) { existing.pod = pod; continue; }
        const w: Worker = {
          key, podUid: uid, pod, containerId: latest.id, containerName: spec.name, kind,
          timing: probeTiming(probe, kind),
          action: probeAction(probe, kind, spec, { podIP, loopbackAllowed: this.options.runtime.name === 'process' }),
          startedAt: (latest.startedAt ?? latest.createdAt).getTime(),
          state: initialState(kind, carriedResult(pod, latest, kind, this.options.runtime.name)),
          running: false,
          stopped: false,
        };
        this.workers.set(key, w);
        this.schedule(w);
      }
    }
    for (const w of this.workers.values()) if (w.podUid === uid && !wanted.has(w.key)) this.drop(w);
  }

  /** Forgets every worker of a pod (deleted, finished, gone). */
  removePod(uid: string): void {
    for (const w of this.workers.values()) if (w.podUid === uid) this.drop(w);
  }

  /** Resolves when no probe is running (tests). */
  async idle(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.workers.values()) this.drop(w);
    await this.idle();
  }

  private drop(w: Worker): void {
    w.stopped = true;
    w.timer?.cancel();
    w.timer = undefined;
    this.workers.delete(w.key);
  }

  private schedule(w: Worker): void {
    if (w.stopped || w.running || this.stopped) return;
    const at = nextProbeAt(w.state, w.timing, w.startedAt);
    if (at === undefined) return;
    w.timer?.cancel();
    w.timer = this.clock.setTimer(() => {
      w.timer = undefined;
      const p = this.run(w).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }, Math.max(0, at - this.clock.now()));
  }

  private async run(w: Worker): Promise<void> {
    if (w.stopped) return;
    w.running = true;
    const at = this.clock.now();
    let outcome: ProbeOutcome;
    try {
      outcome = await this.execute(w);
    } catch (e) {
      outcome = { result: 'error', output: e instanceof Error ? e.message : String(e) };
    }
    w.running = false;
    if (w.stopped) return;
    this.options.onProbe?.(w.kind, outcome.result);
    const t = recordOutcome(w.state, w.timing, outcome.result, at);
    w.state = t.state;
    const title = kindTitle(w.kind);
    switch (outcome.result) {
      case 'success': break;
      case 'warning': this.options.onEvent(w.pod, 'Warning', 'ProbeWarning', `${title} probe warning: ${outcome.output}`, w.containerName); break;
      case 'failure': this.options.onEvent(w.pod, 'Warning', 'Unhealthy', `${title} probe failed: ${outcome.output}`, w.containerName); break;
      case 'error': this.options.onEvent(w.pod, 'Warning', 'Unhealthy', `${title} probe errored: ${outcome.output}`, w.containerName); break;
    }
    if (t.changed || t.kill) this.options.onChange(w.podUid);
    this.schedule(w);
  }

  private execute(w: Worker): Promise<ProbeOutcome> {
    const a = w.action;
    switch (a.type) {
      case 'exec': return execProbe(this.options.runtime, w.containerId, a.command, w.timing.timeoutMs);
      case 'httpGet': return httpProbe({ url: a.url, headers: a.headers, timeoutMs: w.timing.timeoutMs });
      case 'tcpSocket': return tcpProbe(a.host, a.port, w.timing.timeoutMs);
      case 'grpc': return grpcProbe(a.host, a.port, a.service, w.timing.timeoutMs);
      case 'invalid': return Promise.resolve({ result: 'error', output: a.message });
    }
  }
}

/**
 * What the stored status already says about this very instance (an agent restart adopting
 * it): started / ready stay as they were until a probe says otherwise, so adoption neither
 * re-runs a passed startup probe nor flaps Ready.
 */
function carriedResult(pod: PodObject, c: ContainerInfo, kind: ProbeKind, runtime: Runtime['name']): ProbeResult | undefined {
  const id = containerIdUri(runtime, c.id);
  const s = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])].find((x) => x.name === c.name && x.containerID === id);
  if (!s) return undefined;
  switch (kind) {
    case 'startup': return s.started ? 'success' : undefined;
    case 'readiness': return s.ready ? 'success' : undefined;
    case 'liveness': return undefined;
  }
}
