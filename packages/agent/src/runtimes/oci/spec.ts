// The OCI runtime spec (config.json) of a container: what runc or crun reads from the
// bundle. Pure functions; the defaults are runc's own (`runc spec`) hardening — masked and
// read-only /proc and /sys paths, no new privileges — plus Docker's default capability set,
// with Kubernetes' securityContext and resources applied on top.

/** Docker's (and containerd's CRI) default capabilities for a non-privileged container. */
export const DEFAULT_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
] as const;

/** Every capability Linux knows, at the index of its number (privileged containers get them all). */
export const ALL_CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** runc's default masked paths: hidden from the container (bind of /dev/null or an empty tmpfs). */
export const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
];

/** runc's default read-only paths. */
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface OciSpec {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number; additionalGids?: number[] };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: { bounding: string[]; effective: string[]; permitted: string[]; inheritable: string[]; ambient: string[] };
    rlimits: Array<{ type: string; hard: number; soft: number }>;
    noNewPrivileges: boolean;
    oomScoreAdj?: number;
  };
  root: { path: string; readonly: boolean };
  hostname?: string;
  mounts: OciMount[];
  annotations?: Record<string, string>;
  linux: {
    cgroupsPath: string;
    resources: {
      devices: Array<{ allow: boolean; access?: string; type?: string; major?: number; minor?: number }>;
      cpu?: { shares?: number; quota?: number; period?: number };
      memory?: { limit?: number };
      pids?: { limit: number };
    };
    namespaces: Array<{ type: string; path?: string }>;
    maskedPaths?: string[];
    readonlyPaths?: string[];
    sysctl?: Record<string, string>;
  };
}

export interface CgroupResources {
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  memoryLimit?: number;
  pidsLimit?: number;
}

/** Where a namespace comes from: a new one, the host's, or an existing one (a path). */
export type NamespaceSource = { kind: 'new' } | { kind: 'host' } | { kind: 'path'; path: string };

export interface SpecInput {
  args: string[];
  env: string[];
  cwd: string;
  user: { uid: number; gid: number; additionalGids: number[] };
  hostname: string;
  /** Root filesystem directory, absolute or relative to the bundle. */
  rootfs: string;
  readonlyRootfs: boolean;
  privileged: boolean;
  /** Effective capability set, `CAP_*` names (privileged: ignored, every allowed one). */
  capabilities: string[];
  /** What this node may grant at all (its own bounding set); default every capability. */
  allowedCapabilities?: readonly string[];
  noNewPrivileges: boolean;
  network: NamespaceSource;
  ipc: NamespaceSource;
  pid: NamespaceSource;
  /** A new UTS namespace gets `hostname`; the host's (hostNetwork pods) keeps the node's. */
  uts: NamespaceSource;
  /** Mounts after the defaults; one on a default's destination replaces it. */
  mounts: OciMount[];
  resources: CgroupResources;
  cgroupsPath: string;
  annotations?: Record<string, string>;
  oomScoreAdj?: number;
}

/** The default filesystem a container sees besides its root: runc's `runc spec` list. */
export function defaultMounts(readonlySys: boolean): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', readonlySys ? 'ro' : 'rw'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', readonlySys ? 'ro' : 'rw'] },
  ];
}

function namespace(type: string, src: NamespaceSource): Array<{ type: string; path?: string }> {
  switch (src.kind) {
    case 'new': return [{ type }];
    case 'host': return [];
    case 'path': return [{ type, path: src.path }];
  }
}

export function buildSpec(input: SpecInput): OciSpec {
  const caps = input.privileged ? [...(input.allowedCapabilities ?? ALL_CAPABILITIES)] : input.capabilities;
  const byDest = new Map<string, OciMount>();
  for (const m of [...defaultMounts(!input.privileged), ...input.mounts]) byDest.set(m.destination, m);
  // Parents before children (a volume at /data must be mounted before one at /data/x).
  const mounts = [...byDest.values()].sort((a, b) => depth(a.destination) - depth(b.destination));
  const resources: OciSpec['linux']['resources'] = {
    // Deny every device but the defaults runc adds; privileged containers may use all.
    devices: input.privileged ? [{ allow: true, access: 'rwm' }] : [{ allow: false, access: 'rwm' }],
  };
  const r = input.resources;
  if (r.cpuShares !== undefined || r.cpuQuota !== undefined) {
    resources.cpu = {
      ...(r.cpuShares !== undefined ? { shares: r.cpuShares } : {}),
      ...(r.cpuQuota !== undefined ? { quota: r.cpuQuota, period: r.cpuPeriod ?? CPU_PERIOD_US } : {}),
    };
  }
  if (r.memoryLimit !== undefined) resources.memory = { limit: r.memoryLimit };
  if (r.pidsLimit !== undefined) resources.pids = { limit: r.pidsLimit };
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: input.user.uid, gid: input.user.gid, ...(input.user.additionalGids.length ? { additionalGids: input.user.additionalGids } : {}) },
      args: input.args,
      env: input.env,
      cwd: input.cwd,
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [], ambient: [] },
      // No rlimits: the container inherits the node's (raising them may not be allowed here).
      rlimits: [],
      noNewPrivileges: input.noNewPrivileges,
      ...(input.oomScoreAdj !== undefined ? { oomScoreAdj: input.oomScoreAdj } : {}),
    },
    root: { path: input.rootfs, readonly: input.readonlyRootfs },
    ...(input.uts.kind === 'new' ? { hostname: input.hostname } : {}),
    mounts,
    ...(input.annotations ? { annotations: input.annotations } : {}),
    linux: {
      cgroupsPath: input.cgroupsPath,
      resources,
      namespaces: [
        ...namespace('pid', input.pid),
        { type: 'mount' },
        ...namespace('uts', input.uts),
        ...namespace('ipc', input.ipc),
        ...namespace('network', input.network),
      ],
      ...(input.privileged ? {} : { maskedPaths: MASKED_PATHS, readonlyPaths: READONLY_PATHS }),
    },
  };
}

function depth(p: string): number {
  return p.split('/').filter(Boolean).length;
}

// ---- resources ----------------------------------------------------------------------------

export const CPU_PERIOD_US = 100_000;
const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const MIN_QUOTA_US = 1_000;

/** Kubelet's MilliCPUToShares: a request of 1 core is 1024 shares; none gives the minimum, 2. */
export function milliCpuToShares(milli: number | undefined): number {
  if (milli === undefined || milli <= 0) return MIN_SHARES;
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milli * 1024) / 1000)));
}

/** Kubelet's MilliCPUToQuota: the CFS quota for a limit over a 100 ms period (at least 1 ms). */
export function milliCpuToQuota(milli: number | undefined, period = CPU_PERIOD_US): number | undefined {
  if (milli === undefined || milli <= 0) return undefined;
  return Math.max(MIN_QUOTA_US, Math.floor((milli * period) / 1000));
}

export function cgroupResources(r: { cpuRequestMilli?: number; cpuLimitMilli?: number; memoryLimitBytes?: number }): CgroupResources {
  // Kubernetes defaults a missing request to the limit.
  const request = r.cpuRequestMilli ?? r.cpuLimitMilli;
  const quota = milliCpuToQuota(r.cpuLimitMilli);
  return {
    cpuShares: milliCpuToShares(request),
    ...(quota !== undefined ? { cpuQuota: quota, cpuPeriod: CPU_PERIOD_US } : {}),
    ...(r.memoryLimitBytes !== undefined && r.memoryLimitBytes > 0 ? { memoryLimit: r.memoryLimitBytes } : {}),
  };
}

// ---- capabilities -------------------------------------------------------------------------

/** `NET_ADMIN` or `CAP_NET_ADMIN` → `CAP_NET_ADMIN`. */
export function capabilityName(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/**
 * The capabilities in a /proc/<pid>/status `CapBnd:` mask: a container can never get more
 * than the agent itself may hold (Docker's "all" for privileged is the same).
 */
export function capabilitiesFromMask(hexMask: string): string[] {
  const mask = BigInt(`0x${hexMask.trim() || '0'}`);
  return ALL_CAPABILITIES.filter((_, bit) => (mask & (1n << BigInt(bit))) !== 0n);
}

export function hostBoundingCapabilities(procStatus: string): string[] {
  const m = /^CapBnd:\s*([0-9a-f]+)/m.exec(procStatus);
  return m ? capabilitiesFromMask(m[1]!) : [...ALL_CAPABILITIES];
}

/**
 * The capability set for securityContext.capabilities: the defaults, minus drops, plus
 * adds; "ALL" drops or adds every one (as containerd applies them: drop first, then add).
 * "ALL" means all the node may grant (`allowed`).
 */
export function effectiveCapabilities(add: readonly string[] = [], drop: readonly string[] = [], allowed: readonly string[] = ALL_CAPABILITIES): string[] {
  const known = new Set<string>(ALL_CAPABILITIES);
  let set = new Set<string>(DEFAULT_CAPABILITIES);
  const drops = drop.map(capabilityName);
  if (drops.includes('CAP_ALL')) set = new Set();
  for (const d of drops) set.delete(d);
  const adds = add.map(capabilityName);
  if (adds.includes('CAP_ALL')) for (const c of allowed) set.add(c);
  for (const a of adds) if (a !== 'CAP_ALL') set.add(a);
  for (const c of set) if (!known.has(c)) throw new Error(`unknown capability "${c}"`);
  return [...set].sort();
}
