// The agent's signs of life, against a client that records calls: heartbeats, which carry the
// Lease's renewal when it is due; the Lease renewed by the agent when the server did not
// renew it (an older server) or heartbeats fail, and every time once the API server says it
// takes no heartbeats.
import test from 'ava';
import { ApiError, type KubeObject, type TugboatClient } from '@tugboat/api';
import type { Runtime } from '../runtimes/runtime.js';
import { NodeAgent } from './node-agent.js';
import type { NodeConfig } from './node-object.js';

const CONFIG = { nodeName: 'n1', labels: {}, taints: [], capacity: { cpu: '1' }, allocatable: { cpu: '1' }, internalIP: '127.0.0.1', port: 1 } as unknown as NodeConfig;

/**
 * renewing: the server renews the Lease a heartbeat asks it to; taken: an older server, which
 * stores heartbeats and ignores the request; failing: heartbeats fail (Unavailable);
 * unimplemented: a server without heartbeats.
 */
function recordingClient(heartbeats: 'renewing' | 'taken' | 'failing' | 'unimplemented') {
  const calls: string[] = [];
  let lease: KubeObject | undefined;
  let rv = 1;
  const client = {
    async nodeHeartbeat(node: string, opts: { renewLeaseSeconds?: number } = {}) {
      const renew = (opts.renewLeaseSeconds ?? 0) > 0;
      calls.push(`heartbeat ${node}${renew ? ' (renew the Lease)' : ''}`);
      if (heartbeats === 'unimplemented') throw new ApiError('MethodNotAllowed', 'The server does not implement the method /tugboat.v1.Server/NodeHeartbeat');
      if (heartbeats === 'failing') throw new ApiError('Unavailable', 'no server');
      if (heartbeats === 'renewing' && renew && lease) {
        lease = { ...lease, metadata: { ...lease.metadata, resourceVersion: String(++rv) } };
        return { nodeResourceVersion: undefined, leaseResourceVersion: lease.metadata?.resourceVersion };
      }
      return { nodeResourceVersion: undefined, leaseResourceVersion: undefined };
    },
    async tryGet() { return lease; },
    async create(o: KubeObject) { calls.push('lease create'); lease = { ...o, metadata: { ...o.metadata, resourceVersion: '1' } }; return lease; },
    async update(o: KubeObject) {
      calls.push('lease renew');
      if (o.metadata?.resourceVersion !== lease?.metadata?.resourceVersion) throw new ApiError('Conflict', 'the object has been modified');
      lease = { ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } };
      return lease;
    },
  };
  return { client: client as unknown as TugboatClient, calls };
}

function agentWith(client: TugboatClient, now: () => number, log: string[]): { beat(): Promise<void> } {
  const agent = new NodeAgent({ client, config: CONFIG, runtime: {} as Runtime, usageSource: 'pods', leaseIntervalMs: 2_000, leaseRenewIntervalMs: 10_000, now, log: (m) => log.push(m) });
  return agent as unknown as { beat(): Promise<void> };
}

test('a beat is a heartbeat; when the Lease\'s 10 s are (nearly) up, the heartbeat asks the server to renew it', async (t) => {
  const { client, calls } = recordingClient('renewing');
  let now = 0;
  const agent = agentWith(client, () => now, []);
  for (let i = 0; i < 12; i++, now += 2_000) await agent.beat();
  // t=0: Lease made (by the agent: it holds no copy yet); 2-8 s heartbeats; at 10 s (9 s after,
  // within half an interval) the heartbeat carries the renewal; ...
  t.deepEqual(calls, [
    'lease create', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1',
    'heartbeat n1 (renew the Lease)', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1',
    'heartbeat n1 (renew the Lease)', 'heartbeat n1',
  ]);
});

test('a server that does not renew the Lease (an older one), or heartbeats that fail: the agent renews it itself', async (t) => {
  for (const mode of ['taken', 'failing'] as const) {
    const { client, calls } = recordingClient(mode);
    let now = 0;
    const agent = agentWith(client, () => now, []);
    for (let i = 0; i < 7; i++, now += 2_000) await agent.beat();
    t.deepEqual(calls, [
      'lease create', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1',
      'heartbeat n1 (renew the Lease)', 'lease renew', 'heartbeat n1',
    ], mode);
  }
});

test('the held copy of the Lease follows the server\'s renewals: a renewal of the agent\'s own later does not conflict', async (t) => {
  const { client, calls } = recordingClient('renewing');
  let now = 0;
  const agent = agentWith(client, () => now, []);
  for (let i = 0; i < 6; i++, now += 2_000) await agent.beat();
  // Heartbeats break: the next due renewal is the agent's own, on the version the server wrote.
  (client as unknown as { nodeHeartbeat: () => Promise<never> }).nodeHeartbeat = async () => { calls.push('heartbeat n1 (failed)'); throw new ApiError('Unavailable', 'no server'); };
  calls.length = 0;
  for (let i = 0; i < 5; i++, now += 2_000) await agent.beat();
  t.deepEqual(calls, ['heartbeat n1 (failed)', 'heartbeat n1 (failed)', 'heartbeat n1 (failed)', 'heartbeat n1 (failed)', 'heartbeat n1 (failed)', 'lease renew']);
});

test('an API server without heartbeats: said once, then the Lease every beat', async (t) => {
  const { client, calls } = recordingClient('unimplemented');
  let now = 0;
  const log: string[] = [];
  const agent = agentWith(client, () => now, log);
  for (let i = 0; i < 4; i++, now += 2_000) await agent.beat();
  t.deepEqual(calls, ['lease create', 'heartbeat n1', 'lease renew', 'lease renew', 'lease renew']);
  t.is(log.length, 1);
  t.regex(log[0] ?? '', /takes no heartbeats/);
});

/** A client holding one Node and one Lease, counting the Node's reads; `cached` is the Node version the heartbeat answer names. */
function nodeClient() {
  const calls: string[] = [];
  let rv = 1;
  const stamp = <T extends KubeObject>(o: T): T => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } });
  const state: { node: KubeObject; lease: KubeObject | undefined; cached: () => string | undefined } = {
    node: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', resourceVersion: '1' } },
    lease: undefined,
    cached: () => state.node.metadata?.resourceVersion,
  };
  const client = {
    async nodeHeartbeat() { calls.push('heartbeat'); return { nodeResourceVersion: state.cached() }; },
    async tryGet(resource: string) {
      if (resource === 'nodes') { calls.push('node read'); return state.node; }
      return state.lease;
    },
    async create(o: KubeObject) { state.lease = stamp(o); return state.lease; },
    async update(o: KubeObject) {
      if (o.kind === 'Node') { calls.push('node write'); state.node = stamp(o); return state.node; }
      state.lease = stamp(o);
      return state.lease;
    },
    async updateStatus(o: KubeObject) { calls.push('status write'); state.node = stamp(o); return state.node; },
  };
  return { client: client as unknown as TugboatClient, calls, state, stamp };
}

test('the Node is read each status interval only when the last heartbeat does not vouch for the version the agent holds', async (t) => {
  const { client, calls, state, stamp } = nodeClient();
  let now = 0;
  const runtime = { listContainers: async () => [], stats: async () => undefined } as unknown as Runtime;
  const agent = new NodeAgent({ client, config: CONFIG, runtime, usageSource: 'pods', leaseIntervalMs: 2_000, leaseRenewIntervalMs: 3_600_000, statusIntervalMs: 10_000, now: () => now, log: () => undefined }) as unknown as {
    beat(): Promise<void>; reportStatus(): Promise<void>;
  };
  const round = async (): Promise<string[]> => {
    calls.length = 0;
    await agent.beat();
    now += 2_000;
    await agent.reportStatus();
    now += 8_000;
    return [...calls];
  };
  await agent.beat(); // the Lease, made
  // No heartbeat answered yet: read, then the first usage and status writes.
  await agent.reportStatus();
  t.deepEqual(calls, ['node read', 'node write', 'status write']);
  // The server holds what the agent wrote: nothing read, nothing written.
  t.deepEqual((await round()).filter((c) => c !== 'heartbeat'), []);
  t.deepEqual((await round()).filter((c) => c !== 'heartbeat'), []);
  // Someone else changed the Node (the controller's Ready=Unknown): the answer names a newer version.
  state.node = stamp({ ...state.node, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } } as KubeObject);
  t.deepEqual((await round()).filter((c) => c !== 'heartbeat'), ['node read', 'status write']);
  t.deepEqual((await round()).filter((c) => c !== 'heartbeat'), []);
  // A server that does not say (older, or the Node not in its cache): read every time.
  state.cached = () => undefined;
  t.deepEqual((await round()).filter((c) => c !== 'heartbeat'), ['node read']);
  // An answer older than a status interval vouches for nothing.
  state.cached = () => state.node.metadata?.resourceVersion;
  await agent.beat();
  now += 11_000;
  calls.length = 0;
  await agent.reportStatus();
  t.deepEqual(calls, ['node read']);
});
