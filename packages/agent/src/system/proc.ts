// What /proc says about host processes (both runtimes, the node's usage): whether a recorded pid is still the process we
// started (pid AND start time, so a reused pid is never taken for ours), which processes
// belong to a container's process group, and their cpu and memory.
// Node built-ins only: the container monitor imports this too.
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export interface ProcStat {
  pid: number;
  /** R, S, D, Z, T … */
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  /** Clock ticks, own + reaped children's. */
  cpuTicks: number;
  /** Clock ticks after boot: with the pid, the process's identity. */
  startTime: string;
  rssPages: number;
}

/** Parses /proc/<pid>/stat text; undefined when it is not one. */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  // The command name (field 2) is in parentheses and may hold spaces or ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).trim().split(' ');
  // f[0] is field 3 (state): field k is f[k - 3].
  const num = (k: number): number => Number(f[k - 3] ?? NaN);
  const startTime = f[22 - 3];
  if (f.length < 22 || startTime === undefined) return undefined;
  return {
    pid,
    state: f[0] ?? '?',
    ppid: num(4),
    pgrp: num(5),
    session: num(6),
    cpuTicks: num(14) + num(15) + num(16) + num(17),
    startTime,
    rssPages: num(24),
  };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive, not a zombie, and (given a start time) the same process as recorded. */
export function isSameProcessAlive(pid: number, startTime?: string): boolean {
  const st = readProcStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return startTime === undefined || st.startTime === startTime;
}

export function allPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const n = Number(name);
    if (Number.isInteger(n) && n > 0) out.push(n);
  }
  return out;
}

/** Live processes whose process group is `pgid`. */
export function processGroupMembers(pgid: number): ProcStat[] {
  const out: ProcStat[] = [];
  for (const pid of allPids()) {
    const st = readProcStat(pid);
    if (st && st.pgrp === pgid && st.state !== 'Z') out.push(st);
  }
  return out;
}

let clkTck: number | undefined;
let pageSize: number | undefined;

function getconf(name: string, fallback: number): number {
  const r = spawnSync('getconf', [name], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return r.status === 0 && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** USER_HZ: the unit of cpu times in /proc (100 on Linux almost everywhere). */
export function clockTicksPerSecond(): number {
  clkTck ??= getconf('CLK_TCK', 100);
  return clkTck;
}

export function memoryPageSize(): number {
  pageSize ??= getconf('PAGESIZE', 4096);
  return pageSize;
}

/** Node-wide cpu counters from the first line of /proc/stat, in ticks. */
export interface CpuTimes { busy: number; total: number }

export function parseCpuTimes(procStat: string): CpuTimes | undefined {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest times are inside user already)
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const idleAll = idle + iowait;
  const total = user + nice + system + idleAll + irq + softirq + steal;
  return { busy: total - idleAll, total };
}

export function readCpuTimes(): CpuTimes | undefined {
  try { return parseCpuTimes(readFileSync('/proc/stat', 'utf8')); } catch { return undefined; }
}

/** Memory in use on the node: MemTotal - MemAvailable, bytes. */
export function parseMemoryInUse(meminfo: string): number | undefined {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  if (total === undefined || available === undefined) return undefined;
  return (total - available) * 1024;
}

export function readMemoryInUse(): number | undefined {
  try { return parseMemoryInUse(readFileSync('/proc/meminfo', 'utf8')); } catch { return undefined; }
}

/**
 * SIGKILL to `pid` and, when it leads a process group, to the whole group: what a command
 * started would otherwise outlive it and hold its output open (exec with a timeout, in both
 * runtimes). A pid already gone is no error.
 */
export function killProcessGroupOf(pid: number): void {
  const leader = readProcStat(pid)?.pgrp === pid;
  try {
    process.kill(leader ? -pid : pid, 'SIGKILL');
  } catch {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
}
