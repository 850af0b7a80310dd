// The `fake` runtime, as kubemark's hollow nodes: it starts nothing. A container is
// "created", then "running" after a configurable delay, and stays so until stopped. Stats
// report the container's requests as its usage, so `tctl top` and load-aware scoring have
// something plausible to show on hollow clusters. State lives in memory only.
import type {
  ContainerConfig, ContainerFilter, ContainerInfo, ContainerStats, ExecResult, LogOptions, PodRef, Runtime,
  SandboxConfig, SandboxInfo,
} from '../runtime.js';
import { RuntimeError } from '../runtime.js';

export interface FakeRuntimeOptions {
  /** Delay between start and Running, ms. */
  startDelayMs?: number;
  hostIP: string;
  version?: string;
  now?: () => Date;
}

interface FakeContainer {
  info: ContainerInfo;
  config: ContainerConfig;
  runningAt: number;
}

export class FakeRuntime implements Runtime {
  readonly name = 'fake' as const;
  readonly version: string;
  private readonly containers = new Map<string, FakeContainer>();
  private readonly sandboxes = new Map<string, SandboxInfo>();
  private readonly startDelayMs: number;
  private readonly now: () => Date;
  private seq = 0;
  /** Moves with every change of what listContainers/listSandboxes answer (stateVersion). */
  private changes = 0;
  /** Containers still "created": they turn "running" with time, not by a call, so a relist cannot be skipped while any is. */
  private starting = 0;

  constructor(private readonly options: FakeRuntimeOptions) {
    this.version = `fake://${options.version ?? '0.0.0'}`;
    this.startDelayMs = options.startDelayMs ?? 0;
    this.now = options.now ?? (() => new Date());
  }

  async prepareImage(image: string, pod: PodRef): Promise<string> {
    void pod;
    return image;
  }

  async createSandbox(config: SandboxConfig): Promise<SandboxInfo> {
    const existing = this.sandboxes.get(config.pod.uid);
    if (existing) return existing;
    const sb: SandboxInfo = { id: config.pod.uid, pod: config.pod, ip: this.options.hostIP };
    this.sandboxes.set(config.pod.uid, sb);
    this.changes++;
    return sb;
  }

  async removeSandbox(podUid: string): Promise<void> {
    for (const [id, c] of this.containers) if (c.info.pod.uid === podUid) this.forget(id, c);
    if (this.sandboxes.delete(podUid)) this.changes++;
  }

  async listSandboxes(): Promise<SandboxInfo[]> {
    return [...this.sandboxes.values()];
  }

  async startContainer(sandbox: SandboxInfo, config: ContainerConfig): Promise<ContainerInfo> {
    void sandbox;
    const id = `fake-${(++this.seq).toString(16).padStart(8, '0')}-${config.name}-${config.attempt}`;
    const now = this.now();
    const c: FakeContainer = {
      config,
      runningAt: now.getTime() + this.startDelayMs,
      info: {
        id, pod: config.pod, name: config.name, attempt: config.attempt, image: config.image, imageRef: config.imageRef,
        state: 'created', createdAt: now, annotations: config.annotations,
      },
    };
    this.containers.set(id, c);
    this.changes++;
    this.starting++;
    return this.view(c);
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    void graceSeconds;
    const c = this.containers.get(id);
    if (!c) return;
    const v = this.view(c);
    if (v.state === 'exited') return;
    // A fake process "dies of SIGTERM" at once: 128 + 15.
    this.setInfo(c, { ...v, state: 'exited', exitCode: 143, reason: 'Error', finishedAt: this.now(), startedAt: v.startedAt ?? this.now() });
  }

  async removeContainer(id: string): Promise<void> {
    const c = this.containers.get(id);
    if (c) this.forget(id, c);
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
    const out: ContainerInfo[] = [];
    for (const c of this.containers.values()) {
      if (filter.podUid === undefined || c.info.pod.uid === filter.podUid) out.push(this.view(c));
    }
    return out;
  }

  stateVersion(): number | undefined {
    return this.starting > 0 ? undefined : this.changes;
  }

  async containerStatus(id: string): Promise<ContainerInfo | undefined> {
    const c = this.containers.get(id);
    return c ? this.view(c) : undefined;
  }

  async *logs(id: string, opts: LogOptions = {}): AsyncIterable<Buffer> {
    const c = this.containers.get(id);
    if (!c) return;
    // A hollow container writes nothing; a follow waits until it is stopped.
    while (opts.follow && !opts.signal?.aborted) {
      const s = this.containers.get(id);
      if (!s || this.view(s).state === 'exited') return;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  async exec(id: string, command: string[]): Promise<ExecResult> {
    void command;
    if (!this.containers.has(id)) throw new RuntimeError('exec', `no such container "${id}"`);
    return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const c = this.containers.get(id);
    if (!c || this.view(c).state !== 'running') return undefined;
    const now = this.now();
    const cpuMilli = c.config.resources.cpuRequestMilli ?? 0;
    const seconds = Math.max(0, (now.getTime() - c.runningAt) / 1000);
    return {
      id,
      timestamp: now,
      // Busy at exactly its request since it started.
      cpuUsageCoreNanoSeconds: (cpuMilli / 1000) * seconds * 1e9,
      memoryWorkingSetBytes: c.config.resources.memoryRequestBytes ?? 0,
    };
  }

  async close(): Promise<void> {}

  private view(c: FakeContainer): ContainerInfo {
    if (c.info.state === 'created' && this.now().getTime() >= c.runningAt) {
      this.setInfo(c, { ...c.info, state: 'running', startedAt: new Date(c.runningAt) });
    }
    return c.info;
  }

  private setInfo(c: FakeContainer, info: ContainerInfo): void {
    if (c.info.state === 'created' && info.state !== 'created') this.starting--;
    c.info = info;
    this.changes++;
  }

  private forget(id: string, c: FakeContainer): void {
    if (c.info.state === 'created') this.starting--;
    this.containers.delete(id);
    this.changes++;
  }
}
