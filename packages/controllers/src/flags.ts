// Command-line flags of tugboat-controllers (`--flag value` or `--flag=value`), declared as a
// table for @tugboat/api's parser, which also prints them for --help. Pure.
import { hostname } from 'node:os';
import { FlagError, defineFlags, formatFlagUsage, formatIPv4Cidr, parseCommandLine, parseIPv4Cidr } from '@tugboat/api';
import { MAX_PREFIX_DIFFERENCE } from './cidr-set.js';
import { CONTROLLER_NAMES, parseControllerList, type ControllerName } from './manager.js';
import { DEFAULT_HPA_SETTINGS, type HpaSettings } from './horizontal-pod-autoscaling.js';

export const DEFAULT_HTTP_LISTEN = '127.0.0.1:10257';

/** HOST:PORT with a host, checked loosely: the client library decides what --server may name. */
function hostPort(text: string, flag: string): string {
  const m = /^(.*):(\d+)$/.exec(text);
  if (!m || !m[1] || Number(m[2]) > 65535) throw new FlagError(`${flag}: expected HOST:PORT, got ${JSON.stringify(text)}`, 'invalid-value', flag);
  return text;
}

function controllerList(text: string, flag: string): ControllerName[] {
  try {
    return parseControllerList(text);
  } catch (e) {
    throw new FlagError(`${flag}: ${e instanceof Error ? e.message : String(e)}`, 'invalid-value', flag, { cause: e });
  }
}

const HPA = 'Horizontal pod autoscaling:';

const FLAGS = defineFlags({
  kubeconfig: {
    kind: 'string', metavar: 'FILE', default: '', section: '',
    help: 'API server address, CA and this component\'s credentials\n(else the in-cluster configuration when it runs in a pod)',
  },
  server: { kind: 'custom', parse: hostPort, metavar: 'ADDR', help: 'API server gRPC address, instead of the kubeconfig\'s' },
  'http-listen': { kind: 'custom', parse: hostPort, metavar: 'HOST:PORT', default: DEFAULT_HTTP_LISTEN, help: `/metrics and /healthz (default ${DEFAULT_HTTP_LISTEN}; port 0 picks one)` },
  'leader-elect': { kind: 'boolean', default: 'true', help: 'take part in leader election (default true)' },
  id: { kind: 'string', metavar: 'ID', help: 'this replica\'s identity (default hostname_pid)' },
  'node-monitor-grace-period': { kind: 'duration', positive: true, default: '10s', help: 'silence after which a node is unreachable (default 10s)' },
  'node-monitor-period': { kind: 'duration', positive: true, default: '1s', help: 'how often node health is checked (default 1s)' },
  'node-eviction-rate': { kind: 'number', positive: true, default: '10', help: 'pod evictions per second from unhealthy nodes (default 10)' },
  'unhealthy-zone-threshold': {
    kind: 'number', positive: true, max: 1, expect: 'a fraction in (0, 1]', metavar: 'F', default: '0.55',
    help: 'fraction of unhealthy nodes above which evictions stop (default 0.55)',
  },
  'terminated-pod-gc-threshold': { kind: 'integer', min: 0, default: '12500', help: 'finished pods kept before the oldest are deleted (default 12500; 0 keeps all)' },
  'root-ca-file': {
    kind: 'string', metavar: 'FILE', default: '',
    help: 'the cluster CA bundle, published as ConfigMap kube-root-ca.crt in every\nnamespace (root-ca-cert-publisher; it does not run without this flag)',
  },
  'allocate-node-cidrs': { kind: 'boolean', default: 'false', help: 'give each Node a pod CIDR from --cluster-cidr (nodeipam; default false)' },
  'cluster-cidr': { kind: 'string', metavar: 'CIDR', help: 'the pods\' address range, e.g. 198.18.0.0/16 (required with --allocate-node-cidrs)' },
  'node-cidr-mask-size': { kind: 'integer', min: 1, max: 32, expect: 'a prefix length from 1 to 32', default: '24', help: 'prefix length of each Node\'s pod CIDR (default 24)' },
  controllers: {
    kind: 'custom', parse: controllerList, metavar: 'LIST', default: '*',
    help: `which run: * or names, -name to drop (default *: ${CONTROLLER_NAMES.join(', ')})`,
  },
  'concurrent-replicaset-syncs': { kind: 'integer', min: 1, default: '5', help: 'workers (default 5)' },
  'concurrent-deployment-syncs': { kind: 'integer', min: 1, default: '5', help: 'workers (default 5)' },
  'concurrent-gc-syncs': { kind: 'integer', min: 1, default: '20', help: 'workers (default 20)' },
  'concurrent-job-syncs': { kind: 'integer', min: 1, default: '5', help: 'workers (default 5)' },
  'job-backoff-base': { kind: 'duration', positive: true, default: '10s', help: 'back-off after a Job\'s first failed pod, doubled per failure up to 6m (default 10s)' },
  // No defaults in the table: DEFAULT_HPA_SETTINGS is the one place they are written.
  'horizontal-pod-autoscaler-sync-period': { kind: 'duration', positive: true, section: HPA, help: 'how often each HPA is reconciled (default 15s)' },
  'horizontal-pod-autoscaler-downscale-stabilization': {
    kind: 'duration', help: 'the window whose highest recommendation a scale-down\nkeeps (default 5m)',
  },
  'horizontal-pod-autoscaler-tolerance': { kind: 'number', min: 0, metavar: 'F', help: 'usage/target ratios within 1±F do not scale (default 0.1)' },
  'horizontal-pod-autoscaler-cpu-initialization-period': {
    kind: 'duration', help: 'after a pod starts, cpu samples count only once it has\nbeen ready for a whole window (default 5m)',
  },
  'horizontal-pod-autoscaler-initial-readiness-delay': {
    kind: 'duration', help: 'a pod unready this soon after starting has never been\nready: its cpu is ignored (default 30s)',
  },
});

export const USAGE = `Usage: tugboat-controllers --kubeconfig FILE [flags]

The Tugboat controller manager: ReplicaSets, Deployments, garbage collection, node
lifecycle (taints and evictions of unreachable nodes), pod GC, Services' Endpoints and
EndpointSlices, Node pod CIDRs, and horizontal pod autoscaling. Several replicas may run; the one holding the Lease
tugboat-system/tugboat-controllers acts.
${formatFlagUsage(FLAGS, { column: 38, sectionColumns: { [HPA]: 60 }, help: 'this text' })}
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

/** Throws a FlagError with a one-line message for a bad flag. */
export function parseFlags(argv: readonly string[]): ParsedFlags {
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed.help) return { help: true };
  const v = parsed.values;
  const d = DEFAULT_HPA_SETTINGS;
  return {
    help: false,
    flags: {
      server: v.server ?? '',
      kubeconfig: v.kubeconfig,
      httpListen: v['http-listen'],
      leaderElect: v['leader-elect'],
      id: v.id || `${hostname()}_${process.pid}`,
      nodeMonitorGracePeriodMs: v['node-monitor-grace-period'],
      nodeMonitorPeriodMs: v['node-monitor-period'],
      nodeEvictionRate: v['node-eviction-rate'],
      unhealthyZoneThreshold: v['unhealthy-zone-threshold'],
      terminatedPodGcThreshold: v['terminated-pod-gc-threshold'],
      controllers: v.controllers,
      replicaSetWorkers: v['concurrent-replicaset-syncs'],
      deploymentWorkers: v['concurrent-deployment-syncs'],
      gcWorkers: v['concurrent-gc-syncs'],
      jobWorkers: v['concurrent-job-syncs'],
      jobBackoffBaseMs: v['job-backoff-base'],
      rootCaFile: v['root-ca-file'],
      allocateNodeCidrs: v['allocate-node-cidrs'],
      ...nodeCidrFlags(v['cluster-cidr'], v['node-cidr-mask-size'], v['allocate-node-cidrs']),
      hpa: {
        syncPeriodMs: v['horizontal-pod-autoscaler-sync-period'] ?? d.syncPeriodMs,
        downscaleStabilizationMs: v['horizontal-pod-autoscaler-downscale-stabilization'] ?? d.downscaleStabilizationMs,
        tolerance: v['horizontal-pod-autoscaler-tolerance'] ?? d.tolerance,
        cpuInitializationPeriodMs: v['horizontal-pod-autoscaler-cpu-initialization-period'] ?? d.cpuInitializationPeriodMs,
        initialReadinessDelayMs: v['horizontal-pod-autoscaler-initial-readiness-delay'] ?? d.initialReadinessDelayMs,
      } satisfies HpaSettings,
    },
  };
}

/** --cluster-cidr and --node-cidr-mask-size, checked against each other as kube-controller-manager does. */
export function nodeCidrFlags(cidrText: string | undefined, nodeCidrMaskSize: number, allocate: boolean): { clusterCidr: string; nodeCidrMaskSize: number } {
  const invalid = (flag: string, message: string): FlagError => new FlagError(`${flag}: ${message}`, 'invalid-combination', flag);
  if (cidrText === undefined || cidrText === '') {
    if (allocate) throw invalid('--cluster-cidr', 'required with --allocate-node-cidrs');
    return { clusterCidr: '', nodeCidrMaskSize };
  }
  const cidr = parseIPv4Cidr(cidrText);
  if (!cidr) throw new FlagError(`--cluster-cidr: expected an IPv4 CIDR such as 198.18.0.0/16, got ${JSON.stringify(cidrText)}`, 'invalid-value', '--cluster-cidr');
  if (nodeCidrMaskSize < cidr.prefix) {
    throw invalid('--node-cidr-mask-size', `/${nodeCidrMaskSize} is larger than --cluster-cidr ${cidrText} itself (the mask size must be at least ${cidr.prefix})`);
  }
  if (nodeCidrMaskSize - cidr.prefix > MAX_PREFIX_DIFFERENCE) {
    throw invalid('--node-cidr-mask-size', `/${nodeCidrMaskSize} would cut --cluster-cidr ${cidrText} into more than 2^${MAX_PREFIX_DIFFERENCE} blocks`);
  }
  return { clusterCidr: formatIPv4Cidr(cidr), nodeCidrMaskSize };
}
