// The `process` runtime: each container is its command + args run as a host process (no
// image, no isolation — the fallback where real containers cannot run). Every instance runs
// under its own monitor (monitor.ts), detached from the agent, so containers keep running
// when the agent dies and their exit codes are recorded even then. The records on disk
// (records.ts) are the whole state: a new ProcessRuntime over the same data dir — a
// restarted agent — sees exactly what the old one did.
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PodSpec } from '@tugboat/api';
import { readdirOrEmpty } from '@tugboat/api/files';
import { containerLogFile, removeContainerLogFiles, removePodLogs } from '../../logs/pod-log-layout.js';
import { containerInfoBase, newContainerRecord } from '../container-record.js';
import { containerLogs, waitForContainer } from '../container-state.js';
import type {
  ContainerConfig, ContainerFilter, ContainerInfo, ContainerStats, ExecOptions, ExecResult, LogOptions, PodRef, Runtime,
  SandboxConfig, SandboxInfo,
} from '../runtime.js';
import { RuntimeError, VolumeError } from '../runtime.js';
import { checkStart } from './executable.js';
import type { MonitorMessage } from './monitor.js';
import { clockTicksPerSecond, isSameProcessAlive, killProcessGroupOf, memoryPageSize, processGroupMembers } from '../../system/proc.js';
import {
  containerDir, containerId, parseContainerId, podDir, podsDir, readJson, recordPath, writeJsonAtomic,
  type ContainerRecord, type ExitRecord, type PidRecord, type PodRecord,
} from './records.js';

export interface ProcessRuntimeOptions {
  dataDir: string;
  /** Pods share the host's network: this is every pod's IP. */
  hostIP: string;
  /** How long a new container may take to report that it runs (the monitor is a node process). */
  startTimeoutMs?: number;
  /** PATH for containers whose env sets none. */
  defaultPath?: string;
  version?: string;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const LOST_MESSAGE = 'the container\'s process and its monitor are gone and no exit code was recorded (was the machine or its processes killed?)';

function monitorScript(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'monitor.js');
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process' as const;
  readonly version: string;
  private readonly startTimeoutMs: number;
  private readonly defaultPath: string;
  /** Exited instances never change again: read once. */
  private readonly exited = new Map<string, ContainerInfo>();

  constructor(private readonly options: ProcessRuntimeOptions) {
    this.version = `process://${options.version ?? '0.0.0'}`;
    this.startTimeoutMs = options.startTimeoutMs ?? 10_000;
    this.defaultPath = options.defaultPath ?? process.env.PATH ?? DEFAULT_PATH;
    mkdirSync(podsDir(options.dataDir), { recursive: true });
  }

  get dataDir(): string { return this.options.dataDir; }

  async prepareImage(image: string, pod: PodRef): Promise<string> {
    void pod;
    // Nothing to pull: the command runs on the host. The image is only recorded.
    return image;
  }

  async createSandbox(config: SandboxConfig): Promise<SandboxInfo> {
    const missing = unmountableVolume(config.podSpec);
    if (missing) {
      const detail = `volume "${missing.name}" (${missing.type}) cannot be mounted by the process runtime, which has no mount isolation: run the pod on a node with --runtime oci`;
      throw new VolumeError(`spec.volumes: ${detail}`, missing.name, detail, true);
    }
    const dir = podDir(this.options.dataDir, config.pod.uid);
    const path = join(dir, 'pod.json');
    const existing = readJson<PodRecord>(path);
    if (existing) return { id: existing.uid, pod: config.pod, ip: existing.ip };
    mkdirSync(dir, { recursive: true });
    const rec: PodRecord = { ...config.pod, ip: this.options.hostIP, createdAt: new Date().toISOString(), hostname: config.hostname };
    writeJsonAtomic(path, rec);
    return { id: config.pod.uid, pod: config.pod, ip: this.options.hostIP };
  }

  async removeSandbox(podUid: string): Promise<void> {
    for (const c of await this.listContainers({ podUid })) {
      if (c.state === 'running' || c.state === 'created') await this.stopContainer(c.id, 0);
      this.exited.delete(c.id);
    }
    rmSync(podDir(this.options.dataDir, podUid), { recursive: true, force: true });
    removePodLogs(this.options.dataDir, podUid);
  }

  async listSandboxes(): Promise<SandboxInfo[]> {
    const out: SandboxInfo[] = [];
    for (const uid of readdirOrEmpty(podsDir(this.options.dataDir))) {
      const rec = readJson<PodRecord>(join(podDir(this.options.dataDir, uid), 'pod.json'));
      if (rec) out.push({ id: rec.uid, pod: { uid: rec.uid, namespace: rec.namespace, name: rec.name }, ip: rec.ip });
      // A pod dir without its record (crash while creating it) still belongs to that uid.
      else out.push({ id: uid, pod: { uid, namespace: '', name: '' }, ip: this.options.hostIP });
    }
    return out;
  }

  async startContainer(sandbox: SandboxInfo, config: ContainerConfig): Promise<ContainerInfo> {
    const dir = containerDir(this.options.dataDir, config.pod.uid, config.name);
    mkdirSync(dir, { recursive: true });
    const id = containerId(config.pod.uid, config.name, config.attempt);
    if (existsSync(recordPath(dir, config.attempt, 'json'))) {
      throw new RuntimeError('start_container', `container ${id} exists already`);
    }
    const hostname = readJson<PodRecord>(join(podDir(this.options.dataDir, config.pod.uid), 'pod.json'))?.hostname ?? config.pod.name;
    const env = withDefaults(config.env, { PATH: this.defaultPath, HOSTNAME: hostname, HOME: process.env.HOME ?? '/root' });
    const argv = [...config.command, ...config.args];
    // No image, so no WORKDIR: '/' as for an image without one.
    const workingDir = config.workingDir || '/';
    const check = checkStart(config.name, argv, env.find((e) => e.name === 'PATH')?.value ?? this.defaultPath, workingDir);
    const logPath = containerLogFile(this.options.dataDir, config.pod, config.name, config.attempt);
    const record: ContainerRecord = {
      ...newContainerRecord(id, config, logPath),
      argv,
      executable: check.ok ? check.executable : '',
      env,
      workingDir,
    };
    // The monitor opens the log; its directory is the node's pod-log tree (logs/pod-log-layout.ts).
    mkdirSync(dirname(logPath), { recursive: true });
    writeJsonAtomic(recordPath(dir, config.attempt, 'json'), record);
    if (!check.ok) {
      const exit: ExitRecord = { exitCode: 128, finishedAt: new Date().toISOString(), reason: 'StartError', message: check.message };
      writeJsonAtomic(recordPath(dir, config.attempt, 'exit'), exit);
      return this.mustStatus(id);
    }
    void sandbox;

    const monitorLog = openSync(recordPath(dir, config.attempt, 'monitor.log'), 'a');
    const child = spawn(process.execPath, [monitorScript(), dir, String(config.attempt)], {
      detached: true,
      stdio: ['ignore', 'ignore', monitorLog, 'ipc'],
    });
    closeSync(monitorLog);
    const outcome = await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve('timeout'), this.startTimeoutMs);
      const done = (what: string): void => { clearTimeout(timer); resolve(what); };
      child.once('message', (m: MonitorMessage) => done(m.type));
      child.once('exit', () => done('monitor exited'));
      child.once('error', (e) => done(`monitor failed: ${e.message}`));
    });
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
    if (outcome === 'monitor exited' || outcome.startsWith('monitor failed')) {
      // The monitor died before the container ran: record why, so the instance is not left "created".
      if (!existsSync(recordPath(dir, config.attempt, 'exit')) && !existsSync(recordPath(dir, config.attempt, 'pid'))) {
        const exit: ExitRecord = { exitCode: 128, finishedAt: new Date().toISOString(), reason: 'StartError', message: `failed to start container "${config.name}": ${outcome}` };
        writeJsonAtomic(recordPath(dir, config.attempt, 'exit'), exit);
      }
    }
    return this.mustStatus(id);
  }

  async stopContainer(id: string, graceSeconds: number): Promise<void> {
    const where = this.locate(id);
    let info = await this.containerStatus(id);
    if (!info) return;
    if (info.state === 'created') {
      await this.waitFor(id, (s) => s.state !== 'created', this.startTimeoutMs);
      info = await this.containerStatus(id);
    }
    if (!info || info.state !== 'running') return;
    const pidRec = readJson<PidRecord>(recordPath(where.dir, where.attempt, 'pid'));
    if (!pidRec) return;
    const signal = (sig: NodeJS.Signals): void => {
      // The group is signalled only while its leader is still the process we started: a
      // reused pid must never be hit. (Once the leader is gone the monitor kills the rest.)
      if (!isSameProcessAlive(pidRec.pid, pidRec.startTime)) return;
      try { process.kill(-pidRec.pid, sig); } catch { /* gone meanwhile */ }
    };
    signal('SIGTERM');
    if (await this.waitFor(id, (s) => s.state === 'exited', Math.max(0, graceSeconds) * 1000)) return;
    signal('SIGKILL');
    await this.waitFor(id, (s) => s.state === 'exited', 5_000);
  }

  async removeContainer(id: string): Promise<void> {
    const where = this.locate(id);
    const info = await this.containerStatus(id);
    if (info && (info.state === 'running' || info.state === 'created')) await this.stopContainer(id, 0);
    // The log (and what the log manager rotated) first: its path is in the record.
    const log = this.containerLogPath(id);
    if (log) removeContainerLogFiles(log);
    for (const kind of ['pid', 'exit', 'log', 'monitor.log', 'json'] as const) {
      rmSync(recordPath(where.dir, where.attempt, kind), { force: true });
    }
    this.exited.delete(id);
    try { rmdirSync(where.dir); } catch { /* other instances remain */ }
  }

  async listContainers(filter: ContainerFilter = {}): Promise<ContainerInfo[]> {
    const root = podsDir(this.options.dataDir);
    const out: ContainerInfo[] = [];
    const uids = filter.podUid !== undefined ? [filter.podUid] : readdirOrEmpty(root);
    for (const uid of uids) {
      for (const name of readdirOrEmpty(join(root, uid))) {
        const dir = join(root, uid, name);
        for (const file of readdirOrEmpty(dir)) {
          const m = /^(\d+)\.json$/.exec(file);
          if (!m?.[1]) continue;
          const info = this.readInfo(dir, Number(m[1]));
          if (info) out.push(info);
        }
      }
    }
    return out;
  }

  async containerStatus(id: string): Promise<ContainerInfo | undefined> {
    const where = this.locateOrUndefined(id);
    return where ? this.readInfo(where.dir, where.attempt) : undefined;
  }

  logs(id: string, opts: LogOptions = {}): AsyncIterable<Buffer> {
    const where = this.locate(id);
    return containerLogs(logPathOf(readJson<ContainerRecord>(recordPath(where.dir, where.attempt, 'json')), where), (x) => this.containerStatus(x), id, opts);
  }

  containerLogPath(id: string): string | undefined {
    const where = this.locateOrUndefined(id);
    return where ? logPathOf(readJson<ContainerRecord>(recordPath(where.dir, where.attempt, 'json')), where) : undefined;
  }

  /** The monitor opens the log path again (after the log manager renamed the file). */
  async reopenContainerLog(id: string): Promise<void> {
    const where = this.locateOrUndefined(id);
    const pidRec = where ? readJson<PidRecord>(recordPath(where.dir, where.attempt, 'pid')) : undefined;
    // A monitor from before reopening existed would die of the signal: it keeps its file.
    if (!pidRec?.logReopenSignal || !isSameProcessAlive(pidRec.monitorPid, pidRec.monitorStartTime)) return;
    try { process.kill(pidRec.monitorPid, pidRec.logReopenSignal); } catch { /* gone meanwhile */ }
  }

  async exec(id: string, command: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    const where = this.locate(id);
    const info = await this.containerStatus(id);
    const record = readJson<ContainerRecord>(recordPath(where.dir, where.attempt, 'json'));
    if (!info || !record || info.state !== 'running') throw new RuntimeError('exec', `container ${id} is not running`);
    const [cmd, ...args] = command;
    if (!cmd) throw new RuntimeError('exec', 'no command given');
    const env: Record<string, string> = {};
    for (const e of record.env) env[e.name] = e.value;
    return new Promise((resolve, reject) => {
      // Its own process group, so a timeout kills what the command started too (they would
      // hold its output open and outlive it).
      const child = spawn(cmd, args, { env, ...(record.workingDir ? { cwd: record.workingDir } : {}), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      const killGroup = (): void => { if (child.pid) killProcessGroupOf(child.pid); else child.kill('SIGKILL'); };
      const timer = opts.timeoutMs ? setTimeout(killGroup, opts.timeoutMs) : undefined;
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (timer) clearTimeout(timer);
        // A command that cannot start answers as a shell (and runc under docker/kubectl
        // exec) does: 127 not found, 126 not executable, with runc's wording.
        const code = e.code === 'ENOENT' ? 127 : e.code === 'EACCES' ? 126 : undefined;
        if (code === undefined) { reject(new RuntimeError('exec', e.message, { cause: e })); return; }
        const why = code === 127 ? 'executable file not found in $PATH' : 'permission denied';
        resolve({ exitCode: code, stdout: Buffer.alloc(0), stderr: Buffer.from(`exec failed: unable to start container process: exec: ${JSON.stringify(cmd)}: ${why}\n`) });
      });
      child.on('close', (code, signal) => {
        if (timer) clearTimeout(timer);
        const bySignal = signal ? 128 + (osConstants.signals[signal] ?? 9) : 128;
        resolve({ exitCode: code ?? bySignal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
      });
      // A command that never reads its stdin may exit before we finish writing it.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.stdin ?? Buffer.alloc(0));
    });
  }

  async stats(id: string): Promise<ContainerStats | undefined> {
    const info = await this.containerStatus(id);
    if (!info || info.state !== 'running' || info.pid === undefined) return undefined;
    const members = processGroupMembers(info.pid);
    const ticks = members.reduce((n, p) => n + p.cpuTicks, 0);
    const pages = members.reduce((n, p) => n + p.rssPages, 0);
    return {
      id,
      timestamp: new Date(),
      cpuUsageCoreNanoSeconds: (ticks * 1e9) / clockTicksPerSecond(),
      memoryWorkingSetBytes: pages * memoryPageSize(),
    };
  }

  async close(): Promise<void> { /* nothing held: the monitors own the containers */ }

  private locateOrUndefined(id: string): { dir: string; attempt: number } | undefined {
    const p = parseContainerId(id);
    return p ? { dir: containerDir(this.options.dataDir, p.podUid, p.name), attempt: p.attempt } : undefined;
  }

  private locate(id: string): { dir: string; attempt: number } {
    const where = this.locateOrUndefined(id);
    if (!where) throw new RuntimeError('locate', `no such container id "${id}"`);
    return where;
  }

  private async mustStatus(id: string): Promise<ContainerInfo> {
    const s = await this.containerStatus(id);
    if (!s) throw new RuntimeError('start_container', `container ${id} vanished while starting`);
    return s;
  }

  private waitFor(id: string, ok: (s: ContainerInfo) => boolean, timeoutMs: number): Promise<boolean> {
    return waitForContainer((x) => this.containerStatus(x), id, ok, timeoutMs);
  }


  /** The instance's state, from its records and /proc. */
  private readInfo(dir: string, attempt: number): ContainerInfo | undefined {
    const record = readJson<ContainerRecord>(recordPath(dir, attempt, 'json'));
    if (!record) return undefined;
    const cached = this.exited.get(record.id);
    if (cached) return cached;
    const base = containerInfoBase(record);
    const exitPath = recordPath(dir, attempt, 'exit');
    const readExit = (): ContainerInfo | undefined => {
      const exit = readJson<ExitRecord>(exitPath);
      if (!exit) return undefined;
      const pidRec = readJson<PidRecord>(recordPath(dir, attempt, 'pid'));
      const info: ContainerInfo = {
        ...base,
        state: 'exited',
        ...(pidRec ? { startedAt: new Date(pidRec.startedAt) } : {}),
        finishedAt: new Date(exit.finishedAt),
        exitCode: exit.exitCode,
        reason: exit.reason ?? (exit.exitCode === 0 ? 'Completed' : 'Error'),
        ...(exit.message ? { message: exit.message } : {}),
      };
      this.exited.set(record.id, info);
      return info;
    };
    const done = readExit();
    if (done) return done;
    const pidRec = readJson<PidRecord>(recordPath(dir, attempt, 'pid'));
    if (pidRec) {
      const running: ContainerInfo = { ...base, state: 'running', startedAt: new Date(pidRec.startedAt), pid: pidRec.pid };
      if (isSameProcessAlive(pidRec.pid, pidRec.startTime)) return running;
      // The process is gone; a live monitor is about to write its exit code.
      if (isSameProcessAlive(pidRec.monitorPid, pidRec.monitorStartTime)) return running;
    } else if (Date.now() - base.createdAt.getTime() < this.startTimeoutMs) {
      return { ...base, state: 'created' };
    }
    // The monitor may have finished between our reads.
    const late = readExit();
    if (late) return late;
    // Nobody is left to tell the exit code: say so, once and for good.
    const lost: ExitRecord = { exitCode: 137, finishedAt: new Date().toISOString(), reason: 'ContainerStatusUnknown', message: LOST_MESSAGE };
    writeJsonAtomic(exitPath, lost);
    return readExit();
  }
}

/** Where an instance logs: its record says; records from before the pod-log tree, beside them. */
function logPathOf(record: ContainerRecord | undefined, where: { dir: string; attempt: number }): string {
  return record?.logPath ?? recordPath(where.dir, where.attempt, 'log');
}

function withDefaults(env: readonly { name: string; value: string }[], defaults: Record<string, string>): { name: string; value: string }[] {
  const have = new Set(env.map((e) => e.name));
  const extra = Object.entries(defaults).filter(([k]) => !have.has(k)).map(([name, value]) => ({ name, value }));
  return [...extra, ...env];
}

/**
 * The first volume a container mounts that this runtime cannot provide: processes share the
 * host's filesystem, so a mountPath would name a host path, not the volume. Projected volumes
 * (the ServiceAccount token every pod gets) are let through as before: without them no pod
 * would run here at all.
 */
export function unmountableVolume(spec: PodSpec | undefined): { name: string; type: string } | undefined {
  if (!spec) return undefined;
  const mounted = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...spec.containers]) for (const m of c.volumeMounts ?? []) mounted.add(m.name);
  for (const v of spec.volumes ?? []) {
    if (!mounted.has(v.name) || v.projected) continue;
    return { name: v.name, type: Object.keys(v).find((k) => k !== 'name') ?? 'unknown' };
  }
  return undefined;
}
