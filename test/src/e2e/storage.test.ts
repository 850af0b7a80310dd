// End to end, persistent storage on real containers: `tctl cluster up --nodes 2 --runtime oci`
// and a plain pod naming a PersistentVolumeClaim of the default class (local-path). The claim
// waits for its first consumer; the scheduler picks a node and selects it on the claim; the
// local-path provisioner makes a volume there; the agent bind-mounts its directory. A file
// written through the volume is still there after the pod is deleted and made again, and the
// new pod lands on the same node (the volume's node affinity). Deleting the claim deletes the
// volume and, through its node's agent, the directory.
//
// Skipped, with the reason printed, only where containers cannot run: not root, or no runc.
// Networks: the agents' default pod CIDRs 198.18.1-2.0/24; traffic only to loopback.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { startBusyboxRegistry, type BusyboxRegistry } from '../harness/images.js';
import { eventually } from './helpers.js';

const runcInstalled = spawnSync('runc', ['--version'], { stdio: 'ignore' }).status === 0;
const skipReason = process.getuid?.() !== 0 ? 'not root: real containers need root' : !runcInstalled ? 'runc is not installed' : undefined;
if (skipReason) console.log(`e2e storage tests skipped: ${skipReason}`);
const serial = skipReason ? test.skip : test.serial;

let cluster: LocalClusterHandle;
let images: BusyboxRegistry | undefined;
let image = '';

test.before(async () => {
  if (skipReason) return;
  images = await startBusyboxRegistry('storage');
  image = images.image;
  cluster = await startLocalCluster({ nodes: 2, runtime: 'oci' });
});

test.after.always(async () => {
  await cluster?.destroy();
  await images?.destroy();
});

async function ok(args: readonly string[], input?: string): Promise<string> {
  const res = await cluster.tctl(args, input, 60_000);
  if (res.code !== 0) throw new Error(`tctl ${args.join(' ')} exited ${res.code}: ${res.stderr}${res.stdout}`);
  return res.stdout;
}

interface Obj { metadata: { name: string; uid: string; deletionTimestamp?: string }; spec: Record<string, unknown> & { nodeName?: string; volumeName?: string }; status?: { phase?: string } }
const get = async (what: string): Promise<Obj | undefined> => {
  const res = await cluster.tctl(['get', what, '-o', 'json']);
  return res.code === 0 ? JSON.parse(res.stdout) as Obj : undefined;
};

const pod = (name: string, command: string): string => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [{ name: 'main', image, command: ['sh', '-c', command], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
    volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
  },
});

serial('a file in a local-path volume outlives its pod; the next pod lands on the same node; deleting the claim removes the data', async (t) => {
  t.regex(await ok(['get', 'storageclass']), /^local-path \(default\)\s+tugboat\.io\/local-path\s+Delete\s+WaitForFirstConsumer\s+false/m);
  await ok(['apply', '-f', '-'], JSON.stringify({
    apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '64Mi' } } },
  }));
  // No consumer yet: Pending, and it says why.
  t.regex(await ok(['get', 'pvc', 'data']), /^data\s+Pending\s+local-path/m);
  await ok(['apply', '-f', '-'], pod('writer', 'echo "kept $(hostname)" > /data/file && sleep 1000'));
  const first = await eventually('writer running', async () => {
    const p = await get('pod/writer');
    return p?.status?.phase === 'Running' ? p : undefined;
  }, 90_000, 250);
  const node = first.spec.nodeName!;
  const claim = (await get('pvc/data'))!;
  t.is(claim.status?.phase, 'Bound');
  const volume = (await get(`pv/${claim.spec.volumeName}`))!;
  const dir = (volume.spec['hostPath'] as { path: string }).path;
  t.true(dir.includes(node), `the volume's directory ${dir} is under ${node}'s data dir`);
  await eventually('the file on the host', async () => existsSync(join(dir, 'file')), 10_000, 100);
  t.is(readFileSync(join(dir, 'file'), 'utf8'), 'kept writer\n');
  t.regex(await ok(['get', 'pv']), new RegExp(`^${claim.spec.volumeName}\\s+64Mi\\s+RWO\\s+Delete\\s+Bound\\s+default/data\\s+local-path`, 'm'));

  await ok(['delete', 'pod', 'writer', '--wait=true']).catch(async () => ok(['delete', 'pod', 'writer']));
  await eventually('writer gone', async () => (await get('pod/writer')) === undefined, 60_000, 250);
  await ok(['apply', '-f', '-'], pod('reader', 'cat /data/file; sleep 1000'));
  const second = await eventually('reader running', async () => {
    const p = await get('pod/reader');
    return p?.status?.phase === 'Running' ? p : undefined;
  }, 90_000, 250);
  t.is(second.spec.nodeName, node, 'the pod follows its data');
  const logs = await eventually('reader logs', async () => {
    const out = await ok(['logs', 'reader']);
    return out.includes('kept') ? out : undefined;
  }, 20_000, 250);
  t.is(logs, 'kept writer\n');

  await ok(['delete', 'pod', 'reader']);
  await eventually('reader gone', async () => (await get('pod/reader')) === undefined, 60_000, 250);
  await ok(['delete', 'pvc', 'data']);
  await eventually('volume gone', async () => (await get(`pv/${claim.spec.volumeName}`)) === undefined, 30_000, 250);
  t.false(existsSync(dir), 'the agent removed the directory before the volume went');
});
