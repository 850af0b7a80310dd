import test from 'ava';
import { parseDuration } from '@tugboat/api';
import { parseFlags } from './flags.js';

test('durations as Go writes them', (t) => {
  t.is(parseDuration('10s', 'f'), 10_000);
  t.is(parseDuration('500ms', 'f'), 500);
  t.is(parseDuration('1m30s', 'f'), 90_000);
  t.is(parseDuration('1.5s', 'f'), 1500);
  t.throws(() => parseDuration('10 s', '--node-monitor-grace-period'), { message: /--node-monitor-grace-period: invalid duration "10 s"/ });
  t.throws(() => parseDuration('10x', 'f'));
});

test('defaults', (t) => {
  const p = parseFlags([]);
  if (p.help) return t.fail();
  t.like(p.flags, { server: '', kubeconfig: '', httpListen: '127.0.0.1:10257', leaderElect: true, nodeMonitorGracePeriodMs: 10_000, nodeMonitorPeriodMs: 1000, nodeEvictionRate: 10, unhealthyZoneThreshold: 0.55, terminatedPodGcThreshold: 12_500 });
  t.deepEqual(p.flags.controllers, [
    'replicaset', 'deployment', 'garbagecollector', 'nodelifecycle', 'podgc', 'clusterrole-aggregation', 'serviceaccount', 'root-ca-cert-publisher',
    'endpoint', 'endpointslice', 'nodeipam', 'job', 'daemonset', 'replicationcontroller', 'disruption', 'statefulset', 'cronjob',
    'persistentvolume-binder', 'local-path-provisioner', 'horizontalpodautoscaling', 'pvc-protection', 'pv-protection',
  ]);
  t.is(p.flags.rootCaFile, '');
  t.like(p.flags, { allocateNodeCidrs: false, clusterCidr: '', nodeCidrMaskSize: 24 });
});

test('--root-ca-file, and controllers with Kubernetes\' dashed names', (t) => {
  const p = parseFlags(['--root-ca-file', '/pki/ca.crt', '--controllers', '*,-root-ca-cert-publisher,-clusterrole-aggregation']);
  if (p.help) return t.fail();
  t.is(p.flags.rootCaFile, '/pki/ca.crt');
  t.deepEqual(p.flags.controllers, ['replicaset', 'deployment', 'garbagecollector', 'nodelifecycle', 'podgc', 'serviceaccount', 'endpoint', 'endpointslice', 'nodeipam', 'job', 'daemonset', 'replicationcontroller', 'disruption', 'statefulset', 'cronjob', 'persistentvolume-binder', 'local-path-provisioner', 'horizontalpodautoscaling', 'pvc-protection', 'pv-protection']);
});

test('--flag value, --flag=value, booleans, controller lists', (t) => {
  const p = parseFlags(['--server', '127.0.0.1:7000', '--node-monitor-grace-period=2s', '--leader-elect=false', '--id', 'cm-1', '--controllers', '*,-podgc,-nodelifecycle']);
  if (p.help) return t.fail();
  t.like(p.flags, { server: '127.0.0.1:7000', nodeMonitorGracePeriodMs: 2000, leaderElect: false, id: 'cm-1' });
  t.deepEqual(p.flags.controllers, [
    'replicaset', 'deployment', 'garbagecollector', 'clusterrole-aggregation', 'serviceaccount', 'root-ca-cert-publisher', 'endpoint', 'endpointslice', 'nodeipam', 'job', 'daemonset', 'replicationcontroller', 'disruption', 'statefulset', 'cronjob',
    'persistentvolume-binder', 'local-path-provisioner', 'horizontalpodautoscaling', 'pvc-protection', 'pv-protection',
  ]);
  const q = parseFlags(['--leader-elect', 'false', '--server', 'h:1']);
  if (q.help) return t.fail();
  t.false(q.flags.leaderElect);
  const r = parseFlags(['--leader-elect', '--server', 'h:1']);
  if (r.help) return t.fail();
  t.true(r.flags.leaderElect);
  t.true(parseFlags(['--help']).help);
});

test('node IPAM: --allocate-node-cidrs, --cluster-cidr, --node-cidr-mask-size', (t) => {
  const p = parseFlags(['--allocate-node-cidrs', '--cluster-cidr', '198.18.7.1/16', '--node-cidr-mask-size=26']);
  if (p.help) return t.fail();
  t.like(p.flags, { allocateNodeCidrs: true, clusterCidr: '198.18.0.0/16', nodeCidrMaskSize: 26 });
  const q = parseFlags(['--allocate-node-cidrs=false', '--cluster-cidr=198.18.0.0/16']);
  if (q.help) return t.fail();
  t.like(q.flags, { allocateNodeCidrs: false, clusterCidr: '198.18.0.0/16' });
  t.throws(() => parseFlags(['--allocate-node-cidrs']), { message: '--cluster-cidr: required with --allocate-node-cidrs' });
  t.throws(() => parseFlags(['--cluster-cidr', '198.18.0.0']), { message: /^--cluster-cidr: expected an IPv4 CIDR such as 198.18.0.0\/16, got "198.18.0.0"$/ });
  t.throws(() => parseFlags(['--cluster-cidr', '198.18.0.0/24', '--node-cidr-mask-size', '16']), { message: /^--node-cidr-mask-size: \/16 is larger than --cluster-cidr/ });
  t.throws(() => parseFlags(['--node-cidr-mask-size', '33']), { message: /^--node-cidr-mask-size: expected a prefix length from 1 to 32/ });
  t.throws(() => parseFlags(['--allocate-node-cidrs=maybe']), { message: /--allocate-node-cidrs: expected true or false/ });
});

test('--controllers takes `endpoints` for the endpoint controller', (t) => {
  const p = parseFlags(['--controllers', 'endpoints,endpointslice']);
  if (p.help) return t.fail();
  t.deepEqual(p.flags.controllers, ['endpoint', 'endpointslice']);
  const q = parseFlags(['--controllers', '*,-endpoints,-nodeipam']);
  if (q.help) return t.fail();
  t.false(q.flags.controllers.includes('endpoint'));
  t.true(q.flags.controllers.includes('endpointslice'));
});

test('bad flags are one clear line', (t) => {
  t.throws(() => parseFlags(['--nope']), { message: 'unknown flag --nope' });
  t.throws(() => parseFlags(['--server']), { message: '--server needs a value' });
  t.throws(() => parseFlags(['--server', 'nohost']), { message: '--server: expected HOST:PORT, got "nohost"' });
  t.throws(() => parseFlags(['--controllers', 'replicaset,bogus']), { message: /--controllers: unknown controller "bogus"/ });
  t.throws(() => parseFlags(['--unhealthy-zone-threshold', '2']), { message: /--unhealthy-zone-threshold/ });
  t.throws(() => parseFlags(['--leader-elect=maybe']), { message: /--leader-elect: expected true or false/ });
});

test('Jobs: --job-backoff-base and --concurrent-job-syncs', (t) => {
  const d = parseFlags([]);
  if (d.help) return t.fail();
  t.is(d.flags.jobBackoffBaseMs, 10_000);
  t.is(d.flags.jobWorkers, 5);
  const p = parseFlags(['--job-backoff-base=1s', '--concurrent-job-syncs', '2']);
  if (p.help) return t.fail();
  t.is(p.flags.jobBackoffBaseMs, 1000);
  t.is(p.flags.jobWorkers, 2);
  t.throws(() => parseFlags(['--job-backoff-base', '0s']), { message: '--job-backoff-base: must be greater than 0' });
});

test('a value that starts with -- is a missing value, not the value (--server --id x)', (t) => {
  t.throws(() => parseFlags(['--server', '--id', 'x']), { message: '--server needs a value' });
  t.throws(() => parseFlags(['--cluster-cidr', '--allocate-node-cidrs']), { message: '--cluster-cidr needs a value' });
});
