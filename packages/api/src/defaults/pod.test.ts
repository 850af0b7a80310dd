import test from 'ava';
import type { Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { defaultImagePullPolicy, defaultPod, defaultPodSpec, podQOSClass } from './pod.js';

test('imagePullPolicy follows Kubernetes rules', (t) => {
  t.is(defaultImagePullPolicy('nginx'), 'Always');
  t.is(defaultImagePullPolicy('nginx:latest'), 'Always');
  t.is(defaultImagePullPolicy('nginx:1.25'), 'IfNotPresent');
  t.is(defaultImagePullPolicy('localhost:5000/app'), 'Always', 'a registry port is not a tag');
  t.is(defaultImagePullPolicy('localhost:5000/app:v2'), 'IfNotPresent');
  t.is(defaultImagePullPolicy('app@sha256:' + '0'.repeat(64)), 'IfNotPresent');
  t.is(defaultImagePullPolicy(undefined), 'Always');
});

test('pod spec defaults', (t) => {
  const spec: PodSpec = {
    hostNetwork: true,
    containers: [{
      name: 'c', image: 'x:1', ports: [{ containerPort: 80 }],
      readinessProbe: { httpGet: { port: 80 } },
      lifecycle: { preStop: { httpGet: { port: 80, path: '/stop' } } },
    }],
    volumes: [{ name: 'a' }, { name: 'b', secret: { secretName: 's' } }, { name: 'c', configMap: { name: 'c', defaultMode: 0o400 } }],
  };
  defaultPodSpec(spec);
  t.is(spec.restartPolicy, 'Always');
  t.is(spec.dnsPolicy, 'ClusterFirst');
  t.is(spec.terminationGracePeriodSeconds, 30);
  t.is(spec.schedulerName, 'default-scheduler');
  t.deepEqual(spec.securityContext, {});
  const c = spec.containers[0]!;
  t.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP', hostPort: 80 }]);
  t.deepEqual(c.readinessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  t.deepEqual(c.lifecycle?.preStop?.httpGet, { port: 80, path: '/stop', scheme: 'HTTP' });
  t.deepEqual(spec.volumes?.[0], { name: 'a', emptyDir: {} });
  t.is(spec.volumes?.[1]?.secret?.defaultMode, 0o644);
  t.is(spec.volumes?.[2]?.configMap?.defaultMode, 0o400, 'set values are kept');
  t.is(spec.enableServiceLinks, undefined, 'pod-only defaults are not template defaults');
});

test('pod defaults: requests from limits; priority is left to admission', (t) => {
  const pod: Pod = { spec: { containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } }], restartPolicy: 'Never' } };
  defaultPod(pod);
  t.deepEqual(pod.spec?.containers[0]?.resources?.requests, { cpu: '500m', memory: '1Gi' });
  t.is(pod.spec?.restartPolicy, 'Never');
  t.is(pod.spec?.enableServiceLinks, true);
  // Kubernetes sets these in Priority admission, from the PriorityClass, never as defaults.
  t.is(pod.spec?.priority, undefined);
  t.is(pod.spec?.preemptionPolicy, undefined);
});

test('QoS classes', (t) => {
  t.is(podQOSClass({ containers: [{ name: 'a' }] }), 'BestEffort');
  t.is(podQOSClass({ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] }), 'Burstable');
  t.is(podQOSClass({ containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }] }), 'Guaranteed');
  t.is(podQOSClass({ containers: [{ name: 'a', resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '1Gi' } } }] }), 'Burstable');
  t.is(podQOSClass({ containers: [{ name: 'a', resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } } }, { name: 'b' }] }), 'Burstable');
  t.is(podQOSClass({ containers: [{ name: 'a', resources: { requests: { 'example.com/gpu': '1' } } }] }), 'BestEffort', 'only cpu and memory count');
});
