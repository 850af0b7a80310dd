// Command-line flags of tugboat-controllers (`--flag value` or `--flag=value`). Pure.
import { hostname } from 'node:os';
import { formatIPv4Cidr, parseDuration, parseIPv4Cidr } from '@tugboat/api';
import { MAX_PREFIX_DIFFERENCE } from './cidr-set.js';
import { CONTROLLER_NAMES, parseControllerList, type ControllerName } from './manager.js';
import { DEFAULT_HPA_SETTINGS, type HpaSettings } from './horizontalpodautoscaling.js';

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:10257';

export const USAGE = `Usage: tugboat-controllers --kubeconfig FILE [flags]

The Tugboat controller manager: ReplicaSets, Deployments, garbage collection, node
lifecycle (taints and evictions of unreachable nodes), pod GC, Services' Endpoints and
EndpointSlices, Node pod CIDRs, and horizontal pod autoscaling. Several replicas may run; the one holding the Lease
tugboat-system/tugboat-controllers acts.

  --kubeconfig FILE                   API server address, CA and this component's credentials
                                      (else the in-cluster configuration when it runs in a pod)
  --server ADDR                       API server gRPC address, instead of the kubeconfig's
  --http-listen HOST:PORT             /metrics and /healthz (default ${DEFAULT_HTTP_LISTEN}; port 0 picks one)
  --leader-elect true|false           take part in leader election (default true)
  --id ID                             this replica's identity (default hostname_pid)
  --node-monitor-grace-period D       silence after which a node is unreachable (default 10s)
  --node-monitor-period D             how often node health is checked (default 1s)
  --node-eviction-rate N              pod evictions per second from unhealthy nodes (default 10)
  --unhealthy-zone-threshold F        fraction of unhealthy nodes above which evictions stop (default 0.55)
  --terminated-pod-gc-threshold N     finished pods kept before the oldest are deleted (default 12500; 0 keeps all)
  --root-ca-file FILE                 the cluster CA bundle, published as ConfigMap kube-root-ca.crt in every
                                      namespace (root-ca-cert-publisher; it does not run without this flag)
  --allocate-node-cidrs true|false    give each Node a pod CIDR from --cluster-cidr (nodeipam; default false)
  --cluster-cidr CIDR                 the pods' address range, e.g. 198.18.0.0/16 (required with --allocate-node-cidrs)
  --node-cidr-mask-size N             prefix length of each Node's pod CIDR (default 24)
  --controllers LIST                  which run: * or names, -name to drop (default *: ${CONTROLLER_NAMES.join(', ')})
  --concurrent-replicaset-syncs N     workers (default 5)
  --concurrent-deployment-syncs N     workers (default 5)
  --concurrent-gc-syncs N             workers (default 20)
  --concurrent-job-syncs N            workers (default 5)
  --job-backoff-base D                back-off after a Job's first failed pod, doubled per failure up to 6m (default 10s)
  --horizontal-pod-autoscaler-sync-period D                 how often each HPA is reconciled (default 15s)
  --horizontal-pod-autoscaler-downscale-stabilization D     the window whose highest recommendation a scale-down
                                                            keeps (default 5m)
  --horizontal-pod-autoscaler-tolerance F                   usage/target ratios within 1±F do not scale (default 0.1)
  --horizontal-pod-autoscaler-cpu-initialization-period D   after a pod starts, cpu samples count only once it has
                                                            been ready for a whole window (default 5m)
  --horizontal-pod-autoscaler-initial-readiness-delay D     a pod unready this soon after starting has never been
                                                            ready: its cpu is ignored (default 30s)
  --help                              this text

Durations: 500ms, 2s, 1m30s.
`;

export interface ControllersFlags {
  /** "" : the kubeconfig's. */
  server: string;
  kubeconfig: string;
  httpListen: string;
  leaderElect: boolean;
  id: string;
  nodeMonitorGracePeriodMs: number;
  nodeMonitorPeriodMs: number;
  nodeEvictionRate: number;
  unhealthyZoneThreshold: number;
  terminatedPodGcThreshold: number;
  controllers: ControllerName[];
  replicaSetWorkers: number;
  deploymentWorkers: number;
  gcWorkers: number;
  jobWorkers: number;
  jobBackoffBaseMs: number;
  /** "" : none (root-ca-cert-publisher off). */
  rootCaFile: string;
  allocateNodeCidrs: boolean;
  /** "" : none. Normalised (host bits cleared). */
  clusterCidr: string;
  nodeCidrMaskSize: number;
  hpa: HpaSettings;
}

export type ParsedFlags = { help: true } | { help: false; flags: ControllersFlags };


function positiveNumber(text: string, flag: string, integer: boolean, allowZero = false): number {
  const n = Number(text);
  const ok = Number.isFinite(n) && (allowZero ? n >= 0 : n > 0) && (!integer || Number.isInteger(n));
  if (!ok) throw new Error(`${flag}: expected a ${allowZero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}, got ${JSON.stringify(text)}`);
  return n;
}

function hostPort(text: string, flag: string): string {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m || !m[1] || Number(m[2]) > 65535) throw new Error(`${flag}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  return text;
}

const VALUE_FLAGS = new Set([
  'server', 'kubeconfig', 'http-listen', 'id', 'node-monitor-grace-period', 'node-monitor-period', 'node-eviction-rate',
  'unhealthy-zone-threshold', 'terminated-pod-gc-threshold', 'controllers', 'concurrent-replicaset-syncs',
  'concurrent-deployment-syncs', 'concurrent-gc-syncs', 'concurrent-job-syncs', 'job-backoff-base', 'root-ca-file', 'cluster-cidr', 'node-cidr-mask-size',
  'horizontal-pod-autoscaler-sync-period', 'horizontal-pod-autoscaler-downscale-stabilization', 'horizontal-pod-autoscaler-tolerance',
  'horizontal-pod-autoscaler-cpu-initialization-period', 'horizontal-pod-autoscaler-initial-readiness-delay',
]);
const BOOL_FLAGS = new Set(['leader-elect', 'allocate-node-cidrs']);

/** Throws an Error with a one-line message for a bad flag. */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { help: true };
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1] ?? '';
    let value = m[2];
    if (BOOL_FLAGS.has(name)) {
      // `--leader-elect` alone means true; a following true/false is its value.
      if (value === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) value = argv[++i];
      values.set(name, value ?? 'true');
      continue;
    }
    if (!VALUE_FLAGS.has(name)) throw new Error(`unknown flag --${name}`);
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`flag --${name} needs a value`);
    }
    values.set(name, value);
  }
  const leader = values.get('leader-elect') ?? 'true';
  if (leader !== 'true' && leader !== 'false') throw new Error(`--leader-elect: expected true or false, got ${JSON.stringify(leader)}`);
  const allocate = values.get('allocate-node-cidrs') ?? 'false';
  if (allocate !== 'true' && allocate !== 'false') throw new Error(`--allocate-node-cidrs: expected true or false, got ${JSON.stringify(allocate)}`);
  const { clusterCidr, nodeCidrMaskSize } = nodeCidrFlags(values.get('cluster-cidr'), values.get('node-cidr-mask-size'), allocate === 'true');
  const threshold = Number(values.get('unhealthy-zone-threshold') ?? '0.55');
  if (!(threshold > 0 && threshold <= 1)) throw new Error(`--unhealthy-zone-threshold: expected a fraction in (0, 1], got ${JSON.stringify(values.get('unhealthy-zone-threshold'))}`);
  const grace = parseDuration(values.get('node-monitor-grace-period') ?? '10s', '--node-monitor-grace-period');
  if (grace <= 0) throw new Error('--node-monitor-grace-period: must be greater than 0');
  const jobBackoff = parseDuration(values.get('job-backoff-base') ?? '10s', '--job-backoff-base');
  if (jobBackoff <= 0) throw new Error('--job-backoff-base: must be greater than 0');
  const period = parseDuration(values.get('node-monitor-period') ?? '1s', '--node-monitor-period');
  if (period <= 0) throw new Error('--node-monitor-period: must be greater than 0');
  let controllers: ControllerName[];
  try {
    controllers = parseControllerList(values.get('controllers') ?? '*');
  } catch (e) {
    throw new Error(`--controllers: ${e instanceof Error ? e.message : String(e)}`);
  }
  return {
    help: false,
    flags: {
      server: values.has('server') ? hostPort(values.get('server')!, '--server') : '',
      kubeconfig: values.get('kubeconfig') ?? '',
      httpListen: hostPort(values.get('http-listen') ?? DEFAULT_HTTP_LISTEN, '--http-listen'),
      leaderElect: leader === 'true',
      id: values.get('id') || `${hostname()}_${process.pid}`,
      nodeMonitorGracePeriodMs: grace,
      nodeMonitorPeriodMs: period,
      nodeEvictionRate: positiveNumber(values.get('node-eviction-rate') ?? '10', '--node-eviction-rate', false),
      unhealthyZoneThreshold: threshold,
      terminatedPodGcThreshold: positiveNumber(values.get('terminated-pod-gc-threshold') ?? '12500', '--terminated-pod-gc-threshold', true, true),
      controllers,
      replicaSetWorkers: positiveNumber(values.get('concurrent-replicaset-syncs') ?? '5', '--concurrent-replicaset-syncs', true),
      deploymentWorkers: positiveNumber(values.get('concurrent-deployment-syncs') ?? '5', '--concurrent-deployment-syncs', true),
      gcWorkers: positiveNumber(values.get('concurrent-gc-syncs') ?? '20', '--concurrent-gc-syncs', true),
      jobWorkers: positiveNumber(values.get('concurrent-job-syncs') ?? '5', '--concurrent-job-syncs', true),
      jobBackoffBaseMs: jobBackoff,
      rootCaFile: values.get('root-ca-file') ?? '',
      allocateNodeCidrs: allocate === 'true',
      clusterCidr,
      nodeCidrMaskSize,
      hpa: hpaFlags(values),
    },
  };
}

/** The --horizontal-pod-autoscaler-* flags, Kubernetes' defaults when absent. */
function hpaFlags(values: ReadonlyMap<string, string>): HpaSettings {
  const duration = (name: string, fallback: number, allowZero: boolean): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const ms = parseDuration(text, `--${name}`);
    if (allowZero ? ms < 0 : ms <= 0) throw new Error(`--${name}: must be greater than ${allowZero ? 'or equal to ' : ''}0`);
    return ms;
  };
  const d = DEFAULT_HPA_SETTINGS;
  const tolerance = values.get('horizontal-pod-autoscaler-tolerance');
  return {
    syncPeriodMs: duration('horizontal-pod-autoscaler-sync-period', d.syncPeriodMs, false),
    downscaleStabilizationMs: duration('horizontal-pod-autoscaler-downscale-stabilization', d.downscaleStabilizationMs, true),
    tolerance: tolerance === undefined ? d.tolerance : positiveNumber(tolerance, '--horizontal-pod-autoscaler-tolerance', false, true),
    cpuInitializationPeriodMs: duration('horizontal-pod-autoscaler-cpu-initialization-period', d.cpuInitializationPeriodMs, true),
    initialReadinessDelayMs: duration('horizontal-pod-autoscaler-initial-readiness-delay', d.initialReadinessDelayMs, true),
  };
}

/** --cluster-cidr and --node-cidr-mask-size, checked against each other as kube-controller-manager does. */
function nodeCidrFlags(cidrText: string | undefined, maskText: string | undefined, allocate: boolean): { clusterCidr: string; nodeCidrMaskSize: number } {
  const nodeCidrMaskSize = maskText === undefined ? 24 : Number(maskText);
  if (!Number.isInteger(nodeCidrMaskSize) || nodeCidrMaskSize < 1 || nodeCidrMaskSize > 32) {
    throw new Error(`--node-cidr-mask-size: expected a prefix length from 1 to 32, got ${JSON.stringify(maskText)}`);
  }
  if (cidrText === undefined || cidrText === '') {
    if (allocate) throw new Error('--cluster-cidr: required with --allocate-node-cidrs');
    return { clusterCidr: '', nodeCidrMaskSize };
  }
  const cidr = parseIPv4Cidr(cidrText);
  if (!cidr) throw new Error(`--cluster-cidr: expected an IPv4 CIDR such as 198.18.0.0/16, got ${JSON.stringify(cidrText)}`);
  if (nodeCidrMaskSize < cidr.prefix) {
    throw new Error(`--node-cidr-mask-size: /${nodeCidrMaskSize} is larger than --cluster-cidr ${cidrText} itself (the mask size must be at least ${cidr.prefix})`);
  }
  if (nodeCidrMaskSize - cidr.prefix > MAX_PREFIX_DIFFERENCE) {
    throw new Error(`--node-cidr-mask-size: /${nodeCidrMaskSize} would cut --cluster-cidr ${cidrText} into more than 2^${MAX_PREFIX_DIFFERENCE} blocks`);
  }
  return { clusterCidr: formatIPv4Cidr(cidr), nodeCidrMaskSize };
}

