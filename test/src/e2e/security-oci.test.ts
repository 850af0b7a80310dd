// In-cluster clients authenticate with their projected ServiceAccount token (issue 8): in real
// containers (`--runtime oci`), a pod running tctl — built into an image here, offline — lists
// the pods of its namespace when its ServiceAccount is bound to `view`, and is refused when it
// is not. The token, CA and namespace come from /var/run/secrets/kubernetes.io/serviceaccount,
// the API server's address from KUBERNETES_SERVICE_HOST/PORT, as for kubectl in a pod.
//
// Skipped, with the reason printed, only where containers cannot run: not root, or no runc.
// Network: the node's pod CIDR is 198.18.251.0/24, apart from the other oci test files'; the
// pods talk only to the API server through their node's bridge address, 198.18.251.1.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { startRegistry, type RegistryHandle } from '../harness/registry.js';
import { buildTctlImage, pushImage } from '../harness/images.js';
import { eventually } from './helpers.js';

const skipReason = process.getuid?.() !== 0 ? 'not root: real containers need root'
  : spawnSync('runc', ['--version'], { stdio: 'ignore' }).status !== 0 ? 'runc is not installed' : undefined;
if (skipReason) console.log(`e2e security (oci) tests skipped: ${skipReason}`);
const serial = skipReason ? test.skip : test.serial;

let cluster: LocalClusterHandle | undefined;
let registry: RegistryHandle | undefined;
let work = '';
let image = '';

test.before(async () => {
  if (skipReason) return;
  work = mkdtempSync(join(tmpdir(), 'tugboat-e2e-sec-oci-'));
  registry = await startRegistry();
  buildTctlImage(join(work, 'tctl'), '1');
  image = `${registry.host}/e2e/tctl:1`;
  pushImage(join(work, 'tctl'), '1', image);
  // Its own pod network (and so its own bridge), apart from the other oci test files'.
  cluster = await startLocalCluster({ nodes: 1, runtime: 'oci', args: ['--agent-arg=--pod-cidr=198.18.251.0/24'] });
});

test.after.always(async () => {
  await cluster?.destroy();
  await registry?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

function pod(name: string, serviceAccount: string): string {
  return `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: incluster}
spec:
  serviceAccountName: ${serviceAccount}
  restartPolicy: Never
  containers:
  - name: tctl
    image: ${image}
    command: [sh, -c, 'echo "ns=$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace) api=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT"; tctl get pods -o name']
`;
}

serial('a pod whose ServiceAccount is bound to view lists its namespace\'s pods; one that is not bound is refused', async (t) => {
  const c = cluster!;
  const apply = await c.tctl(['apply', '-f', '-'], `
apiVersion: v1
kind: Namespace
metadata: {name: incluster}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: viewer, namespace: incluster}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: nobody, namespace: incluster}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: viewer-views, namespace: incluster}
subjects: [{kind: ServiceAccount, name: viewer}]
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
---${pod('bound', 'viewer')}---${pod('unbound', 'nobody')}`);
  t.is(apply.code, 0, apply.stderr);
  const phase = async (name: string): Promise<string> => (await c.tctl(['get', 'pod', name, '-n', 'incluster', '-o', 'jsonpath={.status.phase}'])).stdout.trim();
  await eventually('both pods to finish', async () => ['Succeeded', 'Failed'].includes(await phase('bound')) && ['Succeeded', 'Failed'].includes(await phase('unbound')), 180_000, 1000);

  const bound = await c.tctl(['logs', 'bound', '-n', 'incluster']);
  t.is(await phase('bound'), 'Succeeded', bound.stdout);
  t.regex(bound.stdout, /^ns=incluster api=198\.18\.251\.1:\d+$/m, 'the namespace file and the API server address a pod can reach');
  t.regex(bound.stdout, /^pod\/bound$/m);
  t.regex(bound.stdout, /^pod\/unbound$/m);

  const unbound = await c.tctl(['logs', 'unbound', '-n', 'incluster']);
  t.is(await phase('unbound'), 'Failed', unbound.stdout);
  t.regex(unbound.stdout, /pods is forbidden: User "system:serviceaccount:incluster:nobody" cannot list resource "pods" in API group "" in the namespace "incluster"/);
});
