// The agent's signs of life, against a client that records calls: heartbeats between Lease
// renewals, and the Lease every time once the API server says it takes no heartbeats.
import test from 'ava';
import { ApiError, type KubeObject, type TugboatClient } from '@tugboat/api';
import type { Runtime } from '../runtimes/runtime.js';
import { NodeAgent } from './node-agent.js';
import type { NodeConfig } from './node-object.js';

const CONFIG = { nodeName: 'n1', labels: {}, taints: [], capacity: { cpu: '1' }, allocatable: { cpu: '1' }, internalIP: '127.0.0.1', port: 1 } as unknown as NodeConfig;

function recordingClient(heartbeats: 'taken' | 'unimplemented') {
  const calls: string[] = [];
  let lease: KubeObject | undefined;
  const client = {
    async nodeHeartbeat(node: string) {
      calls.push(`heartbeat ${node}`);
      if (heartbeats === 'unimplemented') throw new ApiError('MethodNotAllowed', 'The server does not implement the method /tugboat.v1.Server/NodeHeartbeat');
    },
    async tryGet() { return lease; },
    async create(o: KubeObject) { calls.push('lease create'); lease = { ...o, metadata: { ...o.metadata, resourceVersion: '1' } }; return lease; },
    async update(o: KubeObject) { calls.push('lease renew'); lease = o; return o; },
  };
  return { client: client as unknown as TugboatClient, calls };
}

function agentWith(client: TugboatClient, now: () => number, log: string[]): { beat(): Promise<void> } {
  const agent = new NodeAgent({ client, config: CONFIG, runtime: {} as Runtime, usageSource: 'pods', leaseIntervalMs: 2_000, leaseRenewIntervalMs: 10_000, now, log: (m) => log.push(m) });
  return agent as unknown as { beat(): Promise<void> };
}

test('a beat is a heartbeat, and the Lease is renewed instead when its 10 s are (nearly) up', async (t) => {
  const { client, calls } = recordingClient('taken');
  let now = 0;
  const agent = agentWith(client, () => now, []);
  for (let i = 0; i < 12; i++, now += 2_000) await agent.beat();
  // t=0: Lease made; 2-8 s heartbeats; at 10 s (9 s after, within half an interval) the Lease; ...
  t.deepEqual(calls, [
    'lease create', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1',
    'lease renew', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1', 'heartbeat n1',
    'lease renew', 'heartbeat n1',
  ]);
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
