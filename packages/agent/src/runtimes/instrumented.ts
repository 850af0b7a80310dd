// Counts every runtime call (kubelet_runtime_operations_total{operation_type}) and every
// failure (kubelet_runtime_operations_errors_total{operation_type}) around any Runtime.
import type { AgentMetrics } from '../metrics.js';
import type {
  ContainerConfig, ContainerFilter, ContainerInfo, ContainerStats, ExecOptions, ExecResult, ImageGcThresholds, LogOptions, PodRef, PullProgress, Runtime,
  RuntimeName, SandboxConfig, SandboxInfo,
} from './runtime.js';

export type RuntimeOperation =
  | 'prepare_image' | 'create_sandbox' | 'remove_sandbox' | 'list_sandboxes' | 'start_container' | 'stop_container'
  | 'remove_container' | 'list_containers' | 'container_status' | 'logs' | 'exec' | 'stats';

export class InstrumentedRuntime implements Runtime {
  readonly name: RuntimeName;
  readonly version: string;

  constructor(private readonly inner: Runtime, private readonly metrics: AgentMetrics) {
    this.name = inner.name;
    this.version = inner.version;
    // Present only where the inner runtime has them: the node agent and the node's log and
    // image GC managers find out what the inner runtime can do by these.
    if (inner.setPodCIDR) this.setPodCIDR = inner.setPodCIDR.bind(inner);
    if (inner.containerLogPath) this.containerLogPath = inner.containerLogPath.bind(inner);
    if (inner.reopenContainerLog) this.reopenContainerLog = inner.reopenContainerLog.bind(inner);
    if (inner.garbageCollectImages) this.garbageCollectImages = inner.garbageCollectImages.bind(inner);
    if (inner.stateVersion) this.stateVersion = inner.stateVersion.bind(inner);
  }

  private async op<T>(operation: RuntimeOperation, fn: () => Promise<T>): Promise<T> {
    this.metrics.runtimeOperations.inc({ operation_type: operation });
    try {
      return await fn();
    } catch (e) {
      this.metrics.runtimeOperationErrors.inc({ operation_type: operation });
      throw e;
    }
  }

  prepareImage(image: string, pod: PodRef, opts?: { progress?: PullProgress }): Promise<string> { return this.op('prepare_image', () => this.inner.prepareImage(image, pod, opts)); }
  createSandbox(config: SandboxConfig): Promise<SandboxInfo> { return this.op('create_sandbox', () => this.inner.createSandbox(config)); }
  /** Only where the inner runtime has a pod network (oci): the node agent waits for a CIDR only then. */
  readonly setPodCIDR?: (cidr: string) => boolean;
  readonly containerLogPath?: (id: string) => string | undefined;
  readonly reopenContainerLog?: (id: string) => Promise<void>;
  /** Not a runtime call (nothing to count): the inner runtime's own number, where it keeps one. */
  readonly stateVersion?: () => number | undefined;
  readonly garbageCollectImages?: (thresholds: ImageGcThresholds) => Promise<{ removed: string[]; freedBytes: number }>;
  removeSandbox(podUid: string): Promise<void> { return this.op('remove_sandbox', () => this.inner.removeSandbox(podUid)); }
  listSandboxes(): Promise<SandboxInfo[]> {
    const inner = this.inner;
    return this.op('list_sandboxes', async () => (inner.listSandboxes ? inner.listSandboxes() : []));
  }
  async startContainer(sandbox: SandboxInfo, config: ContainerConfig): Promise<ContainerInfo> {
    const info = await this.op('start_container', () => this.inner.startContainer(sandbox, config));
    // A container that could not start is a failed start, though not an exception.
    if (info.reason === 'StartError') this.metrics.runtimeOperationErrors.inc({ operation_type: 'start_container' });
    return info;
  }
  stopContainer(id: string, graceSeconds: number): Promise<void> { return this.op('stop_container', () => this.inner.stopContainer(id, graceSeconds)); }
  removeContainer(id: string): Promise<void> { return this.op('remove_container', () => this.inner.removeContainer(id)); }
  listContainers(filter?: ContainerFilter): Promise<ContainerInfo[]> { return this.op('list_containers', () => this.inner.listContainers(filter)); }
  containerStatus(id: string): Promise<ContainerInfo | undefined> { return this.op('container_status', () => this.inner.containerStatus(id)); }
  logs(id: string, opts?: LogOptions): AsyncIterable<Buffer> {
    this.metrics.runtimeOperations.inc({ operation_type: 'logs' });
    return this.inner.logs(id, opts);
  }
  exec(id: string, command: string[], opts?: ExecOptions): Promise<ExecResult> { return this.op('exec', () => this.inner.exec(id, command, opts)); }
  stats(id: string): Promise<ContainerStats | undefined> { return this.op('stats', () => this.inner.stats(id)); }
  close(): Promise<void> { return this.inner.close(); }
}
