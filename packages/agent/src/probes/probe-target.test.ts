import test from 'ava';
import type { Container, Probe } from '@tugboat/api';
import { probeAction, probeTiming, resolveHost, resolvePort } from './probe-target.js';

const container: Container = { name: 'web', image: 'x', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }] };
const pod = { podIP: '198.18.0.5', loopbackAllowed: false };
const proc = { podIP: '127.0.0.1', loopbackAllowed: true };

test('timing: Kubernetes defaults, also for zeros; liveness and startup succeed once', (t) => {
  t.deepEqual(probeTiming({}, 'readiness'), { initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1_000, successThreshold: 1, failureThreshold: 3 });
  t.deepEqual(probeTiming({ periodSeconds: 0, timeoutSeconds: 0, failureThreshold: 0 }, 'readiness'), probeTiming({}, 'readiness'));
  const p: Probe = { initialDelaySeconds: 4, periodSeconds: 1, timeoutSeconds: 2, successThreshold: 3, failureThreshold: 5 };
  t.deepEqual(probeTiming(p, 'readiness'), { initialDelayMs: 4_000, periodMs: 1_000, timeoutMs: 2_000, successThreshold: 3, failureThreshold: 5 });
  t.is(probeTiming(p, 'liveness').successThreshold, 1);
  t.is(probeTiming(p, 'startup').successThreshold, 1);
});

test('ports: by number, by container port name, a number as a string; unknown names and bad numbers fail', (t) => {
  t.is(resolvePort(80, container), 80);
  t.is(resolvePort('http', container), 8080);
  t.is(resolvePort('8081', container), 8081);
  t.deepEqual(resolvePort('grpc', container), { error: 'port grpc not found' });
  t.deepEqual(resolvePort(0, container), { error: 'invalid port number: 0' });
  t.deepEqual(resolvePort(70000, container), { error: 'invalid port number: 70000' });
});

test('hosts: only the pod IP, or loopback where the pod shares the host network', (t) => {
  t.is(resolveHost(undefined, pod, 'f'), '198.18.0.5');
  t.is(resolveHost('198.18.0.5', pod, 'f'), '198.18.0.5');
  t.deepEqual(resolveHost('127.0.0.1', pod, 'livenessProbe.httpGet.host'), {
    error: 'livenessProbe.httpGet.host "127.0.0.1" is not allowed: probes reach only the pod\'s own IP (198.18.0.5)',
  });
  t.truthy((resolveHost('example.com', proc, 'f') as { error?: string }).error);
  t.truthy((resolveHost('10.1.2.3', proc, 'f') as { error?: string }).error);
  t.is(resolveHost('localhost', proc, 'f'), '127.0.0.1');
  t.is(resolveHost('127.0.0.2', proc, 'f'), '127.0.0.2');
  t.is(resolveHost('::1', proc, 'f'), '::1');
});

test('httpGet: URL on the pod IP with the named port, path and query kept, headers passed', (t) => {
  const a = probeAction({ httpGet: { port: 'http', path: '/healthz?full=1', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, 'readiness', container, pod);
  if (a.type !== 'httpGet') { t.fail(a.type); return; }
  t.is(a.url.href, 'http://198.18.0.5:8080/healthz?full=1');
  t.deepEqual(a.headers, [{ name: 'X-Probe', value: 'yes' }]);
  const https = probeAction({ httpGet: { port: 443, scheme: 'HTTPS', path: 'ready' } }, 'liveness', container, pod);
  t.is(https.type === 'httpGet' ? https.url.href : '', 'https://198.18.0.5/ready');
  // A path cannot move the request elsewhere.
  const sneaky = probeAction({ httpGet: { port: 80, path: '//203.0.113.9/x' } }, 'liveness', container, pod);
  t.is(sneaky.type === 'httpGet' ? sneaky.url.hostname : sneaky.type, '198.18.0.5');
  const v6 = probeAction({ httpGet: { port: 80, host: '::1', path: '/' } }, 'liveness', container, proc);
  t.is(v6.type === 'httpGet' ? v6.url.href : v6.type, 'http://[::1]/');
});

test('invalid specs become a message naming the field', (t) => {
  t.deepEqual(probeAction({ httpGet: { port: 'nope' } }, 'liveness', container, pod), { type: 'invalid', message: 'livenessProbe.httpGet.port: port nope not found' });
  t.deepEqual(probeAction({ tcpSocket: { port: 80, host: '10.0.0.1' } }, 'readiness', container, pod), {
    type: 'invalid', message: 'readinessProbe.tcpSocket.host "10.0.0.1" is not allowed: probes reach only the pod\'s own IP (198.18.0.5)',
  });
  t.deepEqual(probeAction({ exec: { command: [] } }, 'startup', container, pod), { type: 'invalid', message: 'startupProbe.exec.command is empty' });
  t.deepEqual(probeAction({}, 'startup', container, pod), { type: 'invalid', message: 'startupProbe has no handler (exec, httpGet, tcpSocket or grpc)' });
});

test('tcpSocket, exec and grpc actions', (t) => {
  t.deepEqual(probeAction({ tcpSocket: { port: 'metrics' } }, 'liveness', container, pod), { type: 'tcpSocket', host: '198.18.0.5', port: 9090 });
  t.deepEqual(probeAction({ exec: { command: ['cat', '/tmp/ok'] } }, 'liveness', container, pod), { type: 'exec', command: ['cat', '/tmp/ok'] });
  t.deepEqual(probeAction({ grpc: { port: 9090, service: 'api' } }, 'liveness', container, pod), { type: 'grpc', host: '198.18.0.5', port: 9090, service: 'api' });
});
