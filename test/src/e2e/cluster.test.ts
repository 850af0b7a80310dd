// The local cluster's life cycle as a user sees it: up, status, up again, down, a server
// that is down, up again with the data kept, down --purge.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';

let cluster: LocalClusterHandle;

test.before(async () => {
  cluster = await startLocalCluster();
});

test.after.always(async () => {
  await cluster?.destroy();
});

/** Alive and not a zombie waiting to be reaped. */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
};

test.serial('up prints what it started and writes config.json and cluster.json', (t) => {
  t.regex(cluster.upOutput, /started etcd\s+pid \d+\s+client 127\.0\.0\.1:\d+/);
  t.regex(cluster.upOutput, /started apiserver\s+pid \d+\s+grpc 127\.0\.0\.1:\d+\s+http 127\.0\.0\.1:\d+/);
  t.regex(cluster.upOutput, /tctl apply -f manifests\/demo\.yaml/);
  const config = JSON.parse(readFileSync(join(cluster.home, 'config.json'), 'utf8')) as { server: string };
  t.is(config.server, cluster.server);
  t.true(existsSync(join(cluster.home, 'logs', 'apiserver.log')));
  t.true(existsSync(join(cluster.home, 'etcd')));
});

test.serial('status -o json lists each component with name, pid and addresses', async (t) => {
  const res = await cluster.tctl(['cluster', 'status', '-o', 'json']);
  t.is(res.code, 0, res.stderr);
  const status = JSON.parse(res.stdout) as { components: { name: string; pid: number; state: string; addresses: Record<string, string> }[] };
  const etcd = status.components.find((c) => c.name === 'etcd');
  const api = status.components.find((c) => c.name === 'apiserver');
  t.truthy(etcd);
  t.truthy(api);
  t.regex(etcd!.addresses['client']!, /^127\.0\.0\.1:\d+$/);
  t.deepEqual(Object.keys(api!.addresses).sort(), ['grpc', 'http']);
  t.is(api!.addresses['grpc'], cluster.server);
  for (const c of status.components) {
    t.true(Number.isInteger(c.pid) && c.pid > 0);
    t.is(c.state, 'running', c.name);
    t.true(alive(c.pid), c.name);
  }
  const table = await cluster.tctl(['cluster', 'status']);
  t.regex(table.stdout, /^NAME\s+STATE\s+PID\s+ADDRESSES$/m);
  t.regex(table.stdout, /^apiserver\s+running\s+\d+\s+grpc 127\.0\.0\.1:\d+/m);
});

test.serial('up twice says it is already up', async (t) => {
  const before = await cluster.components();
  const res = await cluster.tctl(['cluster', 'up', '--random-ports', '--nodes', '0']);
  t.is(res.code, 0, res.stderr);
  t.regex(res.stdout, /already up/);
  t.notRegex(res.stdout, /to change that/, 'asked for what it has: nothing to say');
  const other = await cluster.tctl(['cluster', 'up', '--runtime', 'fake']);
  t.is(other.code, 0, other.stderr);
  t.regex(other.stdout, /already up[\s\S]*\(It has 0 node\(s\) with the process runtime; to change that: tctl cluster down, then tctl cluster up --nodes 0 --runtime fake\.\)/);
  t.deepEqual((await cluster.components()).map((c) => c.pid), before.map((c) => c.pid));
});

test.serial('version and config view talk about this cluster', async (t) => {
  const v = await cluster.tctl(['version']);
  t.is(v.code, 0, v.stderr);
  t.regex(v.stdout, /^Client Version: v\d+\.\d+\.\d+\nServer Version: v\S+\n$/);
  const c = await cluster.tctl(['config', 'view', '-o', 'json']);
  const view = JSON.parse(c.stdout) as { server: string; serverFrom: string };
  t.is(view.server, cluster.server);
  t.is(view.serverFrom, 'config file');
  // --server and $TCTL_SERVER come first.
  const flag = await cluster.tctl(['config', 'view', '-o', 'json', '--server', '127.0.0.1:1']);
  t.is((JSON.parse(flag.stdout) as { server: string }).server, '127.0.0.1:1');
});

test.serial('down stops everything; tctl then says it cannot reach the server; up starts it again with the data', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: survivor\ndata:\n  a: "1"\n')).code, 0);
  const pids = (await cluster.components()).map((c) => c.pid);
  const down = await cluster.tctl(['cluster', 'down']);
  t.is(down.code, 0, down.stderr);
  t.regex(down.stdout, /stopped/);
  for (const pid of pids) t.false(alive(pid), `pid ${pid} still alive`);
  const status = await cluster.components();
  t.true(status.every((c) => c.state === 'stopped'));

  const get = await cluster.tctl(['get', 'pods']);
  t.is(get.code, 1);
  t.is(get.stdout, '');
  t.is(get.stderr, `error: cannot reach the API server at ${cluster.server}\n`);

  const up = await cluster.tctl(['cluster', 'up', '--nodes', '0']);
  t.is(up.code, 0, up.stderr);
  const cm = await cluster.tctl(['get', 'cm', 'survivor', '-o', 'jsonpath={.data.a}']);
  t.is(cm.stdout, '1', cm.stderr);
});

test.serial('an API server killed with SIGKILL is started again by up, with the same address, and nothing is lost', async (t) => {
  t.is((await cluster.tctl(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: before-crash\n')).code, 0);
  const api = (await cluster.components()).find((c) => c.name === 'apiserver')!;
  process.kill(api.pid, 'SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  const status = await cluster.components();
  t.is(status.find((c) => c.name === 'apiserver')?.state, 'stopped');
  t.is(status.find((c) => c.name === 'etcd')?.state, 'running');
  const up = await cluster.tctl(['cluster', 'up']);
  t.is(up.code, 0, up.stderr);
  t.regex(up.stdout, /started apiserver\s+pid \d+\s+grpc 127\.0\.0\.1:\d+/);
  t.notRegex(up.stdout, /started etcd/, 'what still runs is left alone');
  const after = (await cluster.components()).find((c) => c.name === 'apiserver')!;
  t.deepEqual(after.addresses, api.addresses);
  t.is((await cluster.tctl(['get', 'cm', 'before-crash', '-o', 'name'])).stdout, 'configmap/before-crash\n');
});

test.serial('down --purge deletes the data', async (t) => {
  const res = await cluster.tctl(['cluster', 'down', '--purge']);
  t.is(res.code, 0, res.stderr);
  for (const p of ['etcd', 'logs', 'cluster.json', 'config.json']) t.false(existsSync(join(cluster.home, p)), p);
  const status = await cluster.tctl(['cluster', 'status', '-o', 'json']);
  t.deepEqual((JSON.parse(status.stdout) as { components: unknown[] }).components, []);
});
