// Server/NodeHeartbeat against a real API server and etcd: group commit, what is stored, and
// who may send one.
import { ApiError, NODE_HEARTBEATS_ANNOTATION, NODE_HEARTBEATS_LABEL, NODE_LEASE_NAMESPACE, SYSTEM_NAMESPACE, TugboatClient, type KubeObject } from '@tugboat/api';
import { testWithApiServer } from '../testing/server-test.js';

const test = testWithApiServer({ heartbeatFlushMs: 100 });

async function heartbeatLeases(t: { context: { client: TugboatClient } }): Promise<KubeObject[]> {
  return (await t.context.client.list<KubeObject>('leases', { namespace: SYSTEM_NAMESPACE, labelSelector: `${NODE_HEARTBEATS_LABEL}=true` })).items;
}

test.serial('100 heartbeats at once are stored in one write of the server\'s heartbeat Lease, before any is answered', async (t) => {
  const { client } = t.context;
  const names = Array.from({ length: 100 }, (_, i) => `hb-node-${i}`);
  await Promise.all(names.map((n) => client.nodeHeartbeat(n)));
  const [lease, ...others] = await heartbeatLeases(t);
  t.is(others.length, 0, 'one Lease per API server');
  t.regex(lease?.metadata?.name ?? '', /^node-heartbeats-[0-9a-f]{12}$/);
  t.deepEqual((lease?.metadata?.annotations?.[NODE_HEARTBEATS_ANNOTATION] ?? '').split(',').sort(), [...names].sort());
  const rv = Number(lease?.metadata?.resourceVersion);

  // The next beat is another version, naming only what was heard since.
  await client.nodeHeartbeat('hb-node-7');
  const [next] = await heartbeatLeases(t);
  t.true(Number(next?.metadata?.resourceVersion) > rv);
  t.is(next?.metadata?.annotations?.[NODE_HEARTBEATS_ANNOTATION], 'hb-node-7');
  t.truthy((next as { spec?: { renewTime?: string } }).spec?.renewTime);
  // Counted apart from PUTs, whose latency SLOs the batch wait would skew.
  const metrics = (await t.context.server.http('/metrics')).body;
  t.regex(metrics, /apiserver_request_total\{verb="HEARTBEAT",resource="leases",code="200"\} 101/);
});

test.serial('a node may send only its own heartbeat (the Node authorizer, as for its Lease); an empty name is refused', async (t) => {
  const { server, client } = t.context;
  const n1 = await server.pki.node('hb-own');
  const node = server.client(server.pki.credentials(n1.client));
  await node.nodeHeartbeat('hb-own');
  const err = await node.nodeHeartbeat('hb-other').then(() => undefined, (e: unknown) => e);
  t.true(err instanceof ApiError && err.reason === 'Forbidden', String(err));
  t.regex((err as Error).message, /cannot update resource "leases"/);
  // The refusal ended that client's heartbeat stream; the next beat opens another.
  await node.nodeHeartbeat('hb-own');
  const empty = await client.nodeHeartbeat('').then(() => undefined, (e: unknown) => e);
  t.true(empty instanceof ApiError && empty.reason === 'BadRequest', String(empty));
});

test.serial('as unary calls (an agent whose server has no heartbeat stream): the same rules, the same batch', async (t) => {
  const { server } = t.context;
  const n1 = await server.pki.node('hb-unary');
  const node = new TugboatClient(server.address, { credentials: server.pki.credentials(n1.client), unaryHeartbeats: true, timeoutMs: 10_000 });
  try {
    await Promise.all([node.nodeHeartbeat('hb-unary'), t.context.client.nodeHeartbeat('hb-streamed')]);
    const [lease] = await heartbeatLeases(t);
    t.deepEqual((lease?.metadata?.annotations?.[NODE_HEARTBEATS_ANNOTATION] ?? '').split(',').sort(), ['hb-streamed', 'hb-unary']);
    const err = await node.nodeHeartbeat('hb-other').then(() => undefined, (e: unknown) => e);
    t.true(err instanceof ApiError && err.reason === 'Forbidden', String(err));
  } finally {
    node.close();
  }
});

test.serial('many nodes beating on one client\'s stream, three rounds: every beat answered, each node stored', async (t) => {
  const { client } = t.context;
  const answered: string[] = [];
  const names = Array.from({ length: 20 }, (_, i) => `hb-s-${i}`);
  for (let round = 0; round < 3; round++) {
    await Promise.all(names.map((n) => client.nodeHeartbeat(n).then(() => { answered.push(n); })));
  }
  t.is(answered.length, 60);
  const [lease] = await heartbeatLeases(t);
  t.deepEqual((lease?.metadata?.annotations?.[NODE_HEARTBEATS_ANNOTATION] ?? '').split(',').sort(), [...names].sort());
});

test.serial('the answer names the Node\'s resourceVersion in the server\'s cache, on the stream and as a unary call', async (t) => {
  const { server, client } = t.context;
  const unary = new TugboatClient(server.address, { credentials: server.pki.credentials(), unaryHeartbeats: true, timeoutMs: 10_000 });
  try {
    t.is((await client.nodeHeartbeat('hb-rv')).nodeResourceVersion, undefined, 'no such Node: nothing named');
    const created = await client.create<KubeObject>({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'hb-rv' } });
    const changed = await client.update<KubeObject>({ ...created, metadata: { ...created.metadata, labels: { changed: 'yes' } } });
    const version = changed.metadata?.resourceVersion;
    // The cache follows etcd's watch: within moments it holds the latest version.
    const deadline = Date.now() + 5_000;
    let streamed = await client.nodeHeartbeat('hb-rv');
    while (streamed.nodeResourceVersion !== version && Date.now() < deadline) streamed = await client.nodeHeartbeat('hb-rv');
    t.is(streamed.nodeResourceVersion, version);
    t.is((await unary.nodeHeartbeat('hb-rv')).nodeResourceVersion, version);
  } finally {
    unary.close();
  }
});

test.serial('a heartbeat may renew its node\'s Lease: renewTime and duration written, its version answered; no Lease, not renewed', async (t) => {
  const { server, client } = t.context;
  const n1 = await server.pki.node('hb-lease');
  const node = server.client(server.pki.credentials(n1.client));
  const unary = new TugboatClient(server.address, { credentials: server.pki.credentials(n1.client), unaryHeartbeats: true, timeoutMs: 10_000 });
  try {
    t.is((await node.nodeHeartbeat('hb-lease', { renewLeaseSeconds: 40 })).leaseResourceVersion, undefined, 'no Lease yet: the agent creates it');
    const made = await node.create<KubeObject & { spec?: Record<string, unknown> }>({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'hb-lease', namespace: NODE_LEASE_NAMESPACE, labels: { kept: 'yes' } },
      spec: { holderIdentity: 'hb-lease', leaseDurationSeconds: 40, renewTime: '2026-01-01T00:00:00.000000Z' },
    });
    t.is((await node.nodeHeartbeat('hb-lease')).leaseResourceVersion, undefined, 'not asked: not renewed');
    const answer = await node.nodeHeartbeat('hb-lease', { renewLeaseSeconds: 60 });
    const stored = await client.get<KubeObject & { spec?: { holderIdentity?: string; leaseDurationSeconds?: number; renewTime?: string } }>('leases', NODE_LEASE_NAMESPACE, 'hb-lease');
    t.is(answer.leaseResourceVersion, stored.metadata?.resourceVersion);
    t.true(Number(stored.metadata?.resourceVersion) > Number(made.metadata?.resourceVersion));
    t.like(stored.spec, { holderIdentity: 'hb-lease', leaseDurationSeconds: 60 });
    t.true(Date.parse(stored.spec?.renewTime ?? '') > Date.now() - 10_000, `renewTime ${stored.spec?.renewTime}`);
    t.is(stored.metadata?.labels?.kept, 'yes', 'the rest as stored');
    // The same as a unary call.
    const again = await unary.nodeHeartbeat('hb-lease', { renewLeaseSeconds: 60 });
    t.true(Number(again.leaseResourceVersion) > Number(answer.leaseResourceVersion));
    // Only its own: another node's Lease is refused with the heartbeat.
    const err = await node.nodeHeartbeat('hb-someone', { renewLeaseSeconds: 40 }).then(() => undefined, (e: unknown) => e);
    t.true(err instanceof ApiError && err.reason === 'Forbidden', String(err));
  } finally {
    unary.close();
  }
});
