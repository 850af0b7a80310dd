// Service environment variables end to end: a real etcd + API server (which allocates the
// ClusterIPs), the built tugboat-agent with the process runtime, reading Services through its
// informer with the node's own certificate; each container writes its environment to a file.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, type EnvVar, type KubeObject, type Pod, type Service, type ServicePort } from '@tugboat/api';
import { waitFor } from '@tugboat/test';
import { useProcessNode } from '../testing/process-node.js';

type PodObject = Pod & KubeObject;
type ServiceObject = Service & KubeObject;

const { node, maybe } = useProcessNode(test, 'svcenv');

async function createService(namespace: string, name: string, ports: ServicePort[]): Promise<ServiceObject> {
  const svc = await node().client.create<ServiceObject>({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: { app: name }, ports } });
  // The agent learns of it through its watch: give that a moment, as a user would.
  await sleep(1_000);
  return svc;
}

/** Runs a pod whose container writes its environment to a file; returns the variables. */
async function envOf(namespace: string, name: string, spec: Record<string, unknown> = {}, env: EnvVar[] = []): Promise<Record<string, string>> {
  const out = join(node().work, `${namespace}-${name}.env`);
  await node().client.create<PodObject>({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace },
    spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `env > ${out}`], env }], ...spec },
  });
  await node().client.bind(namespace, name, node().nodeName);
  await waitFor(`pod ${namespace}/${name} Succeeded`, async () =>
    (await node().client.tryGet<PodObject>('pods', namespace, name))?.status?.phase === 'Succeeded', 20_000, 100)
    .catch((e: Error) => { throw new Error(`${e.message}; agent: ${node().agent.output()}`); });
  return Object.fromEntries(readFileSync(out, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

maybe('a pod started after a Service sees its variables; one started before does not; no kubernetes Service: the agent\'s API server address', async (t) => {
  const before = await envOf('default', 'before');
  t.false('DB_SERVICE_HOST' in before);
  t.truthy(before['KUBERNETES_SERVICE_HOST'], 'the fallback while there is no kubernetes Service');

  const db = await createService('default', 'db', [{ name: 'pg', port: 5432, protocol: 'TCP' }, { name: 'stats', port: 9187, protocol: 'UDP' }]);
  const ip = db.spec?.clusterIP ?? '';
  t.regex(ip, /^198\.19\./);
  const after = await envOf('default', 'after', {}, [{ name: 'DSN', value: 'postgres://$(DB_SERVICE_HOST):$(DB_SERVICE_PORT_PG)/app' }, { name: 'DB_PORT', value: 'mine' }]);
  t.like(after, {
    DB_SERVICE_HOST: ip,
    DB_SERVICE_PORT: '5432',
    DB_SERVICE_PORT_PG: '5432',
    DB_SERVICE_PORT_STATS: '9187',
    DB_PORT_5432_TCP: `tcp://${ip}:5432`,
    DB_PORT_5432_TCP_PROTO: 'tcp',
    DB_PORT_5432_TCP_PORT: '5432',
    DB_PORT_5432_TCP_ADDR: ip,
    DB_PORT_9187_UDP: `udp://${ip}:9187`,
    DSN: `postgres://${ip}:5432/app`,
    DB_PORT: 'mine',
  });
  const noLinks = await envOf('default', 'nolinks', { enableServiceLinks: false });
  t.false('DB_SERVICE_HOST' in noLinks);
});

maybe('the kubernetes Service of default reaches every namespace, even without service links; others stay in theirs', async (t) => {
  await node().client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
  const kubernetes = await createService('default', 'kubernetes', [{ name: 'https', port: 443, protocol: 'TCP' }]);
  const env = await envOf('team', 'worker', { enableServiceLinks: false });
  t.like(env, {
    KUBERNETES_SERVICE_HOST: kubernetes.spec?.clusterIP,
    KUBERNETES_SERVICE_PORT: '443',
    KUBERNETES_SERVICE_PORT_HTTPS: '443',
    KUBERNETES_PORT: `tcp://${kubernetes.spec?.clusterIP}:443`,
  });
  t.false('DB_SERVICE_HOST' in env, 'a Service of another namespace');
});
