// Failover benchmark: how long a crashed node's pods take to run elsewhere.
//
//   npm run bench:failover -- [--rounds N] [--replicas N] [--runtime process|fake] [--hollow N]
//
// For each setting (the default node-monitor-grace-period of 10 s, then 2 s) it starts a
// local three-node cluster (`tctl cluster up`, as a user would), runs a Deployment, and in
// each round crashes node-2 with `tctl cluster stop-node` (agent and containers SIGKILLed),
// then times from the stop until every pod of the Deployment is Running on another node.
// The cluster is read through the API (a list every 50 ms), not through tctl, so the figure
// is not padded by process start-up. Between rounds node-2 is started again and the pods are
// spread back over it with `rollout restart`. Exits 1 if a round misses the target.
//
// --hollow N: the default setting only, with N hollow nodes (`tugboat-agent --hollow`,
// heartbeating at the agent's defaults) beside the three real ones, Ready before the first
// round; the Deployment keeps to the real nodes (node affinity), so the figure is how a loaded
// control plane notices and heals one real node among many.
import os from 'node:os';
import { Informer, type KubeObject, type Node, type Pod } from '@tugboat/api';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { deployment, eventually } from '../e2e/helpers.js';
import { HollowAgents, waitForReadyNodes } from '../harness/hollow.js';

interface Setting { label: string; args: string[]; targetSeconds: number }

const SETTINGS: readonly Setting[] = [
  { label: 'default settings (node-monitor-grace-period 10s)', args: [], targetSeconds: 20 },
  { label: 'node-monitor-grace-period 2s', args: ['--node-monitor-grace-period', '2s'], targetSeconds: 8 },
];

interface Args { rounds: number; replicas: number; runtime: 'process' | 'fake'; hollow: number }

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { rounds: 5, replicas: 6, runtime: 'process', hollow: 0 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    switch (flag) {
      case '--rounds': args.rounds = positive(flag, value); break;
      case '--replicas': args.replicas = positive(flag, value); break;
      case '--hollow': args.hollow = positive(flag, value); break;
      case '--runtime':
        if (value !== 'process' && value !== 'fake') throw new Error(`--runtime: expected process or fake, got ${JSON.stringify(value)}`);
        args.runtime = value;
        break;
      default: throw new Error(`unknown flag ${JSON.stringify(flag)} (flags: --rounds N, --replicas N, --runtime process|fake, --hollow N)`);
    }
  }
  return args;
}

function positive(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
}

type PodItem = Pod & KubeObject;
type NodeItem = Node & KubeObject;
const live = (pods: readonly PodItem[]): PodItem[] => pods.filter((p) => !p.metadata?.deletionTimestamp);
const isReady = (n: NodeItem | undefined): boolean => !!n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function tctl(cluster: LocalClusterHandle, args: string[]): Promise<string> {
  const res = await cluster.tctl(args, undefined, 180_000);
  if (res.code !== 0) throw new Error(`tctl ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout;
}

interface Round { pods: number; replacedSeconds: number; unknownSeconds: number }

async function runSetting(setting: Setting, args: Args): Promise<Round[]> {
  const cluster = await startLocalCluster({ nodes: 3, runtime: args.runtime, args: setting.args });
  const client = cluster.client();
  const pods = async (): Promise<PodItem[]> => (await client.list<PodItem>('pods', { namespace: 'default', labelSelector: 'app=failover' })).items;
  const node = async (name: string): Promise<NodeItem | undefined> => client.tryGet<NodeItem>('nodes', '', name);
  const allRunning = async (avoid?: string): Promise<PodItem[] | undefined> => {
    const now = live(await pods());
    return now.length === args.replicas && now.every((p) => p.status?.phase === 'Running' && p.spec?.nodeName !== avoid) ? now : undefined;
  };
  const rounds: Round[] = [];
  let hollow: HollowAgents | undefined;
  try {
    if (args.hollow) {
      hollow = HollowAgents.start(cluster, { nodes: args.hollow });
      const nodes = new Informer<NodeItem>(client, 'nodes');
      await nodes.start();
      try {
        const seconds = await waitForReadyNodes(nodes, args.hollow + 3, hollow, 300);
        console.log(`  ${args.hollow} hollow nodes and 3 real ones Ready after ${seconds.toFixed(1)} s`);
      } finally {
        nodes.stop();
      }
    }
    const real = args.hollow ? { nodes: ['node-1', 'node-2', 'node-3'] } : {};
    const apply = await cluster.tctl(['apply', '-f', '-'], deployment('failover', { replicas: args.replicas, maxSurge: 2, maxUnavailable: 0, ...real }));
    if (apply.code !== 0) throw new Error(`tctl apply: ${apply.stderr.trim()}`);
    await eventually('the deployment running', () => allRunning(), 120_000);
    for (let r = 1; r <= args.rounds; r++) {
      const onNode2 = live(await pods()).filter((p) => p.spec?.nodeName === 'node-2').length;
      if (onNode2 === 0) throw new Error(`round ${r}: no pod on node-2 to lose`);
      const started = Date.now();
      await tctl(cluster, ['cluster', 'stop-node', 'node-2']);
      let unknownAt = 0;
      await eventually('replacements running on the other nodes', async () => {
        if (!unknownAt && !isReady(await node('node-2'))) unknownAt = Date.now();
        return allRunning('node-2');
      }, 120_000, 50);
      const round = { pods: onNode2, replacedSeconds: (Date.now() - started) / 1000, unknownSeconds: ((unknownAt || Date.now()) - started) / 1000 };
      rounds.push(round);
      console.log(`  round ${r}: ${round.pods} pods of node-2 Running on node-1/node-3 in ${round.replacedSeconds.toFixed(1)} s (node-2 not Ready after ${round.unknownSeconds.toFixed(1)} s)`);
      // Back to three nodes with pods on each for the next round.
      await tctl(cluster, ['cluster', 'start-node', 'node-2']);
      await eventually('node-2 Ready again', async () => (isReady(await node('node-2')) ? true : undefined), 60_000);
      if (r < args.rounds) {
        await tctl(cluster, ['rollout', 'restart', 'deployment/failover']);
        await tctl(cluster, ['rollout', 'status', 'deployment/failover', '--timeout', '120s']);
        await eventually('pods spread over node-2 again', async () => {
          const now = await allRunning();
          return now?.some((p) => p.spec?.nodeName === 'node-2') ? now : undefined;
        }, 60_000);
      }
    }
  } finally {
    await hollow?.stop();
    client.close();
    await cluster.destroy();
  }
  return rounds;
}

function summary(values: readonly number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return `min ${s[0]!.toFixed(1)} s, median ${median.toFixed(1)} s, max ${s[s.length - 1]!.toFixed(1)} s`;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`);
  console.log(`cluster: tctl cluster up --nodes 3 --runtime ${args.runtime}${args.hollow ? ` and ${args.hollow} hollow nodes` : ''}; Deployment of ${args.replicas} (100m each); node-2 crashed with tctl cluster stop-node, ${args.rounds} rounds per setting`);
  let missed = false;
  // Hollow nodes heartbeat at the agent's defaults, which suit the default grace period only.
  for (const setting of args.hollow ? SETTINGS.slice(0, 1) : SETTINGS) {
    console.log(`${setting.label}:`);
    const rounds = await runSetting(setting, args);
    const worst = Math.max(...rounds.map((r) => r.replacedSeconds));
    const met = worst < setting.targetSeconds;
    missed ||= !met;
    console.log(`  replaced: ${summary(rounds.map((r) => r.replacedSeconds))}; target ${setting.targetSeconds} s: ${met ? 'met' : 'MISSED'}`);
  }
  return missed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`bench:failover: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 2;
});
