import test from 'ava';
import { expandVars, kubernetesServiceEnv, resolveContainerEnv, type EnvSources } from './env.js';
import type { PodObject } from './pod-util.js';

const pod = {
  metadata: { name: 'web', namespace: 'prod', uid: 'u1', labels: { app: 'shop' } },
  spec: { nodeName: 'node-1', containers: [] },
} as unknown as PodObject;

const sources: EnvSources = {
  async configMap(ns, name) { return ns === 'prod' && name === 'cfg' ? { MODE: 'fast', LEVEL: '3' } : undefined; },
  async secret(ns, name) { return ns === 'prod' && name === 'creds' ? { password: 's3cret' } : undefined; },
};
const facts = { nodeName: 'node-1', hostIP: '10.0.0.1', podIP: '10.1.0.7' };

test('$(VAR) expansion as Kubernetes does it', (t) => {
  const vars: Record<string, string> = { A: 'x', B: 'y' };
  const look = (n: string): string | undefined => vars[n];
  t.is(expandVars('$(A)-$(B)', look), 'x-y');
  t.is(expandVars('$(MISSING) stays', look), '$(MISSING) stays');
  t.is(expandVars('$$(A) is escaped, $$ is $', look), '$(A) is escaped, $ is $');
  t.is(expandVars('plain $A and $(A', look), 'plain $A and $(A');
});

test('env: envFrom, values, downward API, ConfigMap and Secret keys; later wins; command and args expanded', async (t) => {
  const r = await resolveContainerEnv(pod, {
    name: 'c',
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
    env: [
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
      { name: 'GREETING', value: 'hi $(POD) on $(IP)' },
      { name: 'CFG_LEVEL', value: 'override' },
    ],
    command: ['echo', '$(GREETING)'],
    args: ['$(MODE)', '$$(MODE)'],
  }, facts, sources);
  if (!r.ok) { t.fail(r.message); return; }
  const env = Object.fromEntries(r.env.map((e) => [e.name, e.value]));
  t.like(env, { CFG_MODE: 'fast', CFG_LEVEL: 'override', POD: 'web', APP: 'shop', IP: '10.1.0.7', PASS: 's3cret', MODE: 'fast', GREETING: 'hi web on 10.1.0.7' });
  t.deepEqual(r.command, ['echo', 'hi web on 10.1.0.7']);
  t.deepEqual(r.args, ['fast', '$(MODE)']);
});

test('a missing ConfigMap, Secret or key is CreateContainerConfigError with kubelet\'s message; optional ones are skipped', async (t) => {
  const miss = await resolveContainerEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, facts, sources);
  t.deepEqual(miss, { ok: false, reason: 'CreateContainerConfigError', message: 'configmap "nope" not found' });
  const key = await resolveContainerEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'user' } } }] }, facts, sources);
  t.deepEqual(key, { ok: false, reason: 'CreateContainerConfigError', message: "couldn't find key user in Secret prod/creds" });
  const opt = await resolveContainerEnv(pod, { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k', optional: true } } }] }, facts, sources);
  t.true(opt.ok && opt.env.length === 0);
});

test('KUBERNETES_SERVICE_HOST/PORT: the API server as the agent reaches it; a loopback address becomes the pod network\'s gateway for a pod with its own netns', (t) => {
  t.deepEqual(kubernetesServiceEnv({ host: '127.0.0.1', port: 6443 }, undefined), { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443' });
  t.deepEqual(kubernetesServiceEnv({ host: '127.0.0.1', port: 6443 }, '198.18.4.1'), { KUBERNETES_SERVICE_HOST: '198.18.4.1', KUBERNETES_SERVICE_PORT: '6443' });
  t.deepEqual(kubernetesServiceEnv({ host: 'localhost', port: 7000 }, '198.18.4.1'), { KUBERNETES_SERVICE_HOST: '198.18.4.1', KUBERNETES_SERVICE_PORT: '7000' });
  t.deepEqual(kubernetesServiceEnv({ host: '::1', port: 6443 }, '198.18.4.1').KUBERNETES_SERVICE_HOST, '198.18.4.1');
  // A routable address works from the pod as it is.
  t.deepEqual(kubernetesServiceEnv({ host: '10.0.0.5', port: 6443 }, '198.18.4.1'), { KUBERNETES_SERVICE_HOST: '10.0.0.5', KUBERNETES_SERVICE_PORT: '6443' });
});

test('service variables as kubelet has them: set unless the container sets them, usable in $(VAR)', async (t) => {
  const serviceEnv = kubernetesServiceEnv({ host: '10.0.0.5', port: 6443 }, undefined);
  const r = await resolveContainerEnv(pod, {
    name: 'c',
    env: [{ name: 'URL', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' }, { name: 'KUBERNETES_SERVICE_PORT', value: '443' }],
    args: ['$(KUBERNETES_SERVICE_HOST)'],
  }, { ...facts, serviceEnv }, sources);
  if (!r.ok) { t.fail(r.message); return; }
  t.deepEqual(r.env, [
    { name: 'URL', value: 'https://10.0.0.5:6443' },
    { name: 'KUBERNETES_SERVICE_PORT', value: '443' },
    { name: 'KUBERNETES_SERVICE_HOST', value: '10.0.0.5' },
  ]);
  t.deepEqual(r.args, ['10.0.0.5']);
});
