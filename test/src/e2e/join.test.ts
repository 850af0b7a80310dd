// Joining an agent from another machine, as docs/operations.md tells an operator to: the
// control plane listens on an address the other machine reaches (`cluster up --bind-address`),
// `tctl cluster join-config` writes that node's credentials, and the agent started with them
// "there" registers, runs a pod, and serves its logs and exec to the API server over mutual
// TLS. The other machine is a network namespace made here, linked to this one by a veth pair.
//
// Skipped, with the reason printed, where network namespaces cannot be made (not root, no `ip`).
// Network: 198.19.255.101 (this side) and 198.19.255.105 (the other machine), inside
// 198.18.0.0/15, on a link that exists only for this test.
import test from 'ava';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_BIN, stopAgentAndContainers } from '../harness/agent.js';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { eventually } from './helpers.js';

const NS = `tb-join-${process.pid}`;
const HOST_IF = `tbj${process.pid % 100000}`;
const HOST_IP = '198.19.255.101';
const NODE_IP = '198.19.255.105';

const ip = (...args: string[]): { status: number | null; stderr: string } => spawnSync('ip', args, { encoding: 'utf8' });
const skipReason = process.getuid?.() !== 0 ? 'not root: network namespaces need root'
  : spawnSync('ip', ['-V'], { stdio: 'ignore' }).status !== 0 ? 'iproute2 (ip) is not installed' : undefined;
if (skipReason) console.log(`e2e join tests skipped: ${skipReason}`);
const serial = skipReason ? test.skip : test.serial;

let cluster: LocalClusterHandle | undefined;
let agent: ChildProcess | undefined;
let work = '';

function must(r: { status: number | null; stderr: string }, what: string): void {
  if (r.status !== 0) throw new Error(`${what}: ${r.stderr.trim()}`);
}

test.before(async () => {
  if (skipReason) return;
  work = mkdtempSync(join(tmpdir(), 'tugboat-e2e-join-'));
  must(ip('netns', 'add', NS), 'ip netns add');
  must(ip('link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', 'eth-join', 'netns', NS), 'ip link add');
  must(ip('addr', 'add', `${HOST_IP}/24`, 'dev', HOST_IF), 'ip addr add');
  must(ip('link', 'set', HOST_IF, 'up'), 'ip link set up');
  must(ip('-n', NS, 'addr', 'add', `${NODE_IP}/24`, 'dev', 'eth-join'), 'ip addr add (other machine)');
  must(ip('-n', NS, 'link', 'set', 'eth-join', 'up'), 'ip link set up (other machine)');
  must(ip('-n', NS, 'link', 'set', 'lo', 'up'), 'ip link set lo up (other machine)');
  cluster = await startLocalCluster({ nodes: 0, args: ['--bind-address', HOST_IP] });
});

test.after.always(async () => {
  if (work) await stopAgentAndContainers(agent, join(work, 'data'));
  await cluster?.destroy();
  if (!skipReason) {
    ip('netns', 'del', NS);
    ip('link', 'del', HOST_IF);
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

serial('an agent joined from another machine with join-config registers, runs pods, and serves logs and exec', async (t) => {
  const c = cluster!;
  t.is(c.server.split(':')[0], HOST_IP, 'the API server is at the address other machines reach');
  const dir = join(work, 'node-remote');
  const jc = await c.tctl(['cluster', 'join-config', 'node-remote', '--address', NODE_IP, '--server', c.server, '--out', dir]);
  t.is(jc.code, 0, jc.stderr);
  t.is(jc.stderr, '', 'no warning: the certificate names the address');
  const command = jc.stdout.split('\n').map((l) => l.trim()).find((l) => l.startsWith('tugboat-agent '));
  t.truthy(command, jc.stdout);
  // What join-config printed, run "there": inside the other machine's network namespace.
  const args = command!.split(/\s+/).slice(1);
  agent = spawn('ip', ['netns', 'exec', NS, process.execPath, AGENT_BIN, ...args, '--runtime', 'process', '--data-dir', join(work, 'data')], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TUGBOAT_HOME: join(work, 'remote-home') } });
  let out = '';
  agent.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  agent.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  await eventually('node-remote to be Ready', async () => /node-remote\s+Ready/.test((await c.tctl(['get', 'nodes'])).stdout), 30_000, 250).catch((e: unknown) => { throw new Error(`${String(e)}\nagent: ${out}`); });
  t.regex((await c.tctl(['get', 'node', 'node-remote', '-o', 'wide'])).stdout, new RegExp(`node-remote\\s+Ready.*${NODE_IP.replace(/\./g, '\\.')}`));

  const apply = await c.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: far}\nspec:\n  containers: [{name: c, image: busybox, command: [sh, -c, "echo far away; sleep 3600"]}]\n');
  t.is(apply.code, 0, apply.stderr);
  await eventually('the pod to run on node-remote', async () => /far\s+1\/1\s+Running.*node-remote/.test((await c.tctl(['get', 'pod', 'far', '-o', 'wide'])).stdout), 30_000, 250);
  await eventually('its logs, through the API server', async () => (await c.tctl(['logs', 'far'])).stdout === 'far away\n', 10_000, 250);
  const exec = await c.tctl(['exec', 'far', '--', 'sh', '-c', 'echo $((6 * 7))']);
  t.is(exec.stdout, '42\n', exec.stderr);
  // The joined node is a node like any other: its credentials give it nothing else.
  const asNode = await c.tctl(['--kubeconfig', join(dir, 'kubeconfig'), 'get', 'pods', '-A']);
  t.is(asNode.code, 1);
  t.regex(asNode.stderr, /forbidden: User "system:node:node-remote" cannot list resource "pods"/);
});
