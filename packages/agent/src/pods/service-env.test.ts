import test from 'ava';
import type { Service, ServiceSpec } from '@tugboat/api';
import { resolveContainerEnv, type EnvSources } from './env.js';
import type { PodObject } from './pod-util.js';
import { envVarName, podServiceEnv, serviceEnvVars, serviceVariables } from './service-env.js';

const svc = (namespace: string, name: string, spec: ServiceSpec): Service => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec });

const redis = svc('shop', 'redis-primary', {
  clusterIP: '198.19.0.42',
  ports: [{ name: 'redis', port: 6379, protocol: 'TCP', targetPort: 6379 }, { name: 'metrics-udp', port: 9121, protocol: 'UDP' }],
});
const kubernetes = svc('default', 'kubernetes', { clusterIP: '198.19.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] });

test('a Service\'s variables, as kubelet\'s envvars: host, port, named ports, Docker links per port', (t) => {
  t.deepEqual(serviceVariables(redis), [
    ['REDIS_PRIMARY_SERVICE_HOST', '198.19.0.42'],
    ['REDIS_PRIMARY_SERVICE_PORT', '6379'],
    ['REDIS_PRIMARY_SERVICE_PORT_REDIS', '6379'],
    ['REDIS_PRIMARY_SERVICE_PORT_METRICS_UDP', '9121'],
    ['REDIS_PRIMARY_PORT', 'tcp://198.19.0.42:6379'],
    ['REDIS_PRIMARY_PORT_6379_TCP', 'tcp://198.19.0.42:6379'],
    ['REDIS_PRIMARY_PORT_6379_TCP_PROTO', 'tcp'],
    ['REDIS_PRIMARY_PORT_6379_TCP_PORT', '6379'],
    ['REDIS_PRIMARY_PORT_6379_TCP_ADDR', '198.19.0.42'],
    ['REDIS_PRIMARY_PORT_9121_UDP', 'udp://198.19.0.42:9121'],
    ['REDIS_PRIMARY_PORT_9121_UDP_PROTO', 'udp'],
    ['REDIS_PRIMARY_PORT_9121_UDP_PORT', '9121'],
    ['REDIS_PRIMARY_PORT_9121_UDP_ADDR', '198.19.0.42'],
  ]);
  t.is(envVarName('web.v2'), 'WEB_V2');
  t.is(envVarName('3scale'), '_3SCALE');
  // An unnamed single port: only the short variables.
  t.deepEqual(serviceVariables(svc('a', 'web', { clusterIP: '198.19.0.5', ports: [{ port: 80 }] })).map(([k]) => k),
    ['WEB_SERVICE_HOST', 'WEB_SERVICE_PORT', 'WEB_PORT', 'WEB_PORT_80_TCP', 'WEB_PORT_80_TCP_PROTO', 'WEB_PORT_80_TCP_PORT', 'WEB_PORT_80_TCP_ADDR']);
});

test('which Services count: the pod\'s namespace with a ClusterIP, and default/kubernetes always', (t) => {
  const all = [
    redis,
    svc('shop', 'headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
    svc('shop', 'external', { type: 'ExternalName', externalName: 'db.example.com' }),
    svc('other', 'elsewhere', { clusterIP: '198.19.0.7', ports: [{ port: 80 }] }),
    kubernetes,
  ];
  const env = serviceEnvVars(all, 'shop');
  t.is(env['REDIS_PRIMARY_SERVICE_HOST'], '198.19.0.42');
  t.is(env['KUBERNETES_SERVICE_HOST'], '198.19.0.1');
  t.is(env['KUBERNETES_SERVICE_PORT_HTTPS'], '443');
  t.is(env['KUBERNETES_PORT'], 'tcp://198.19.0.1:443');
  t.false(Object.keys(env).some((k) => k.startsWith('HEADLESS_') || k.startsWith('EXTERNAL_') || k.startsWith('ELSEWHERE_')));
  // enableServiceLinks: false keeps only the master Service.
  t.deepEqual(Object.keys(serviceEnvVars(all, 'shop', false)).filter((k) => !k.startsWith('KUBERNETES_')), []);
  t.is(serviceEnvVars(all, 'shop', false)['KUBERNETES_SERVICE_HOST'], '198.19.0.1');
  // A pod's own `kubernetes` Service takes the place of default's, in either order.
  const own = svc('shop', 'kubernetes', { clusterIP: '198.19.0.99', ports: [{ port: 8443 }] });
  t.is(serviceEnvVars([kubernetes, own], 'shop')['KUBERNETES_SERVICE_HOST'], '198.19.0.99');
  t.is(serviceEnvVars([own, kubernetes], 'shop')['KUBERNETES_SERVICE_HOST'], '198.19.0.99');
});

test('the agent\'s KUBERNETES_SERVICE_HOST/PORT are the fallback when there is no kubernetes Service', (t) => {
  const fallback = { KUBERNETES_SERVICE_HOST: '198.18.1.1', KUBERNETES_SERVICE_PORT: '6443' };
  t.like(podServiceEnv([redis], 'shop', true, fallback), { ...fallback, REDIS_PRIMARY_SERVICE_PORT: '6379' });
  const withMaster = podServiceEnv([redis, kubernetes], 'shop', true, fallback);
  t.is(withMaster['KUBERNETES_SERVICE_HOST'], '198.19.0.1');
  t.is(withMaster['KUBERNETES_SERVICE_PORT'], '443');
  t.deepEqual(podServiceEnv([], 'shop', true, undefined), {});
});

test('in a container\'s env: its own variables win, envFrom too, and $(VAR) sees the Service variables', async (t) => {
  const pod = { metadata: { name: 'web', namespace: 'shop', uid: 'u1' }, spec: { containers: [] } } as unknown as PodObject;
  const sources: EnvSources = { async configMap() { return { REDIS_PRIMARY_PORT: 'from-configmap' }; }, async secret() { return undefined; } };
  const serviceEnv = podServiceEnv([redis, kubernetes], 'shop', true, undefined);
  const r = await resolveContainerEnv(pod, {
    name: 'c',
    envFrom: [{ configMapRef: { name: 'cfg' } }],
    env: [{ name: 'REDIS_PRIMARY_SERVICE_HOST', value: 'mine' }, { name: 'URL', value: 'redis://$(REDIS_PRIMARY_SERVICE_HOST):$(REDIS_PRIMARY_SERVICE_PORT)' }],
    args: ['$(KUBERNETES_SERVICE_HOST)'],
  }, { nodeName: 'n', hostIP: '10.0.0.1', podIP: '10.1.0.2', serviceEnv }, sources);
  if (!r.ok) { t.fail(r.message); return; }
  const env = Object.fromEntries(r.env.map((e) => [e.name, e.value]));
  t.is(env['REDIS_PRIMARY_SERVICE_HOST'], 'mine');
  t.is(env['REDIS_PRIMARY_PORT'], 'from-configmap');
  t.is(env['URL'], 'redis://mine:6379');
  t.is(env['REDIS_PRIMARY_PORT_6379_TCP_ADDR'], '198.19.0.42');
  t.deepEqual(r.args, ['198.19.0.1']);
  t.is(r.env.filter((e) => e.name === 'REDIS_PRIMARY_SERVICE_HOST').length, 1);
});
