// Container cgroups, v1 and v2: where a process's cgroups are (from /proc/<pid>/cgroup and
// the mount table), and what they say — cpu time, memory working set, OOM kills and CFS
// throttling — for stats, OOMKilled detection and tests of limits.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type CgroupVersion = 1 | 2;

/** Directories of one container's cgroups. */
export interface CgroupPaths {
  version: CgroupVersion;
  /** v1: the cpu controller (cpu.stat, cpu.cfs_quota_us); v2: the unified dir. */
  cpu?: string;
  /** v1: the cpuacct controller (cpuacct.usage). */
  cpuacct?: string;
  memory?: string;
}

export interface CgroupStats {
  /** Cumulative cpu time, ns. */
  cpuUsageNs: number;
  /** usage minus inactive file cache: what kubelet calls the working set. */
  memoryWorkingSetBytes: number;
  memoryUsageBytes: number;
  /** How many times the kernel's OOM killer killed a process of this cgroup. */
  oomKills: number;
  /** CFS periods in which the cgroup was throttled, and for how long in total (ns). */
  throttledPeriods: number;
  throttledNs: number;
  /** The CFS quota and period in µs; quota undefined when unlimited. */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
}

interface MountEntry { root: string; mountPoint: string; fsType: string; superOptions: string[] }

function unescape(s: string): string {
  return s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    if (left.length < 5 || right.length < 3) continue;
    out.push({ root: unescape(left[3]!), mountPoint: unescape(left[4]!), fsType: right[0]!, superOptions: right[2]!.split(',') });
  }
  return out;
}

/** `4:memory:/a/b` lines → controller (or '' for v2) → path. */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const controllers = m[2]!;
    if (controllers === '') out.set('', m[3]!);
    for (const c of controllers.split(',')) if (c) out.set(c, m[3]!);
  }
  return out;
}

/** The host directory of cgroup `path` in hierarchy `entry` (its mount may be rooted deeper). */
function hostDir(entry: MountEntry, path: string): string | undefined {
  const root = entry.root === '/' ? '' : entry.root;
  if (root && path !== root && !path.startsWith(`${root}/`)) return undefined;
  return join(entry.mountPoint, path.slice(root.length));
}

/**
 * The cgroups of process `pid` as host directories. A controller on a v1 hierarchy makes
 * it v1 (hybrid hosts mount an empty unified hierarchy too); otherwise v2.
 */
export function resolveCgroupPaths(procCgroup: string, mountInfo: string): CgroupPaths {
  const cg = parseProcCgroup(procCgroup);
  const mounts = parseMountInfo(mountInfo);
  const v1 = (controller: string): string | undefined => {
    const path = cg.get(controller);
    if (path === undefined) return undefined;
    for (const m of mounts) {
      if (m.fsType !== 'cgroup' || !m.superOptions.includes(controller)) continue;
      const dir = hostDir(m, path);
      if (dir) return dir;
    }
    return undefined;
  };
  const memory = v1('memory');
  const cpu = v1('cpu');
  const cpuacct = v1('cpuacct');
  if (memory || cpu || cpuacct) {
    return { version: 1, ...(cpu ? { cpu } : {}), ...(cpuacct ? { cpuacct } : {}), ...(memory ? { memory } : {}) };
  }
  const unifiedPath = cg.get('');
  if (unifiedPath !== undefined) {
    for (const m of mounts) {
      if (m.fsType !== 'cgroup2') continue;
      const dir = hostDir(m, unifiedPath);
      if (dir) return { version: 2, cpu: dir, cpuacct: dir, memory: dir };
    }
  }
  return { version: 2 };
}

export async function cgroupPathsOfPid(pid: number): Promise<CgroupPaths> {
  const [procCgroup, mountInfo] = await Promise.all([readFile(`/proc/${pid}/cgroup`, 'utf8'), readFile('/proc/self/mountinfo', 'utf8')]);
  return resolveCgroupPaths(procCgroup, mountInfo);
}

/** Whether this host's memory controller is on cgroup v2 (the unified hierarchy). */
export async function hostCgroupVersion(): Promise<CgroupVersion> {
  return (await cgroupPathsOfPid(process.pid)).version;
}

async function readText(path: string | undefined): Promise<string | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `key value` lines (cpu.stat, memory.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

function num(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  return /^\d+$/.test(t) ? Number(t) : undefined;
}

export async function readCgroupStats(p: CgroupPaths): Promise<CgroupStats> {
  if (p.version === 1) {
    const [usage, cpuStat, memUsage, memStat, oomControl, quota, period] = await Promise.all([
      readText(p.cpuacct && join(p.cpuacct, 'cpuacct.usage')),
      readText(p.cpu && join(p.cpu, 'cpu.stat')),
      readText(p.memory && join(p.memory, 'memory.usage_in_bytes')),
      readText(p.memory && join(p.memory, 'memory.stat')),
      readText(p.memory && join(p.memory, 'memory.oom_control')),
      readText(p.cpu && join(p.cpu, 'cpu.cfs_quota_us')),
      readText(p.cpu && join(p.cpu, 'cpu.cfs_period_us')),
    ]);
    const stat = parseKeyValues(memStat);
    const cs = parseKeyValues(cpuStat);
    const memoryUsageBytes = num(memUsage) ?? 0;
    const inactive = stat.get('total_inactive_file') ?? stat.get('inactive_file') ?? 0;
    const q = quota !== undefined ? Number(quota.trim()) : undefined;
    return {
      cpuUsageNs: num(usage) ?? 0,
      memoryUsageBytes,
      memoryWorkingSetBytes: Math.max(0, memoryUsageBytes - inactive),
      oomKills: parseKeyValues(oomControl).get('oom_kill') ?? 0,
      throttledPeriods: cs.get('nr_throttled') ?? 0,
      throttledNs: cs.get('throttled_time') ?? 0,
      ...(q !== undefined && q > 0 ? { cpuQuotaUs: q } : {}),
      ...(num(period) !== undefined ? { cpuPeriodUs: num(period)! } : {}),
    };
  }
  const dir = p.memory ?? p.cpu;
  const [cpuStat, current, memStat, events, cpuMax] = await Promise.all([
    readText(dir && join(dir, 'cpu.stat')),
    readText(dir && join(dir, 'memory.current')),
    readText(dir && join(dir, 'memory.stat')),
    readText(dir && join(dir, 'memory.events')),
    readText(dir && join(dir, 'cpu.max')),
  ]);
  const cs = parseKeyValues(cpuStat);
  const memoryUsageBytes = num(current) ?? 0;
  const inactive = parseKeyValues(memStat).get('inactive_file') ?? 0;
  const [maxQuota, maxPeriod] = (cpuMax ?? '').trim().split(/\s+/);
  return {
    cpuUsageNs: (cs.get('usage_usec') ?? 0) * 1000,
    memoryUsageBytes,
    memoryWorkingSetBytes: Math.max(0, memoryUsageBytes - inactive),
    oomKills: parseKeyValues(events).get('oom_kill') ?? 0,
    throttledPeriods: cs.get('nr_throttled') ?? 0,
    throttledNs: (cs.get('throttled_usec') ?? 0) * 1000,
    ...(maxQuota && /^\d+$/.test(maxQuota) ? { cpuQuotaUs: Number(maxQuota) } : {}),
    ...(maxPeriod && /^\d+$/.test(maxPeriod) ? { cpuPeriodUs: Number(maxPeriod) } : {}),
  };
}
