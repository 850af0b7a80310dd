// `tctl expose`, and `get` / `describe` of Services, Endpoints and EndpointSlices, in-process
// against a real TLS API server (which allocates ClusterIPs and node ports). No controllers
// run: the test writes the Endpoints and EndpointSlice they would.
import test from 'ava';
import type { KubeObject } from '@tugboat/api';
import { startSecureServer, type SecureServer } from '../testing/secure-server.js';
import { serviceFor } from './expose.js';

const deployment = (extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web', team: 'shop' } },
  spec: {
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'c', image: 'busybox', ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }, { containerPort: 53, protocol: 'TCP' }] }] },
    },
    ...extra,
  },
});

test('the Service kubectl expose makes: the selector\'s matchLabels, the object\'s labels, target port = port', (t) => {
  t.deepEqual(serviceFor(deployment(), { port: '80' }), {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: 'web', labels: { app: 'web', team: 'shop' } },
    spec: { ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }], selector: { app: 'web' } },
  });
  const full = serviceFor(deployment(), { port: '80', targetPort: 'http', protocol: 'UDP', type: 'NodePort', name: 'web-np', labels: 'x=y', selector: 'app=web,tier=fe' });
  t.deepEqual(full.metadata, { name: 'web-np', labels: { x: 'y' } });
  t.deepEqual(full.spec, { ports: [{ port: 80, protocol: 'UDP', targetPort: 'http' }], selector: { app: 'web', tier: 'fe' }, type: 'NodePort' });
});

test('without --port: the containers\' ports, named port-N, one per protocol a port is served on', (t) => {
  t.deepEqual(serviceFor(deployment(), {}).spec?.ports, [
    { name: 'port-1', port: 8080, protocol: 'TCP', targetPort: 8080 },
    { name: 'port-2-udp', port: 53, protocol: 'UDP', targetPort: 53 },
    { name: 'port-2-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
  ]);
  // --port on a port the containers serve over UDP only takes UDP.
  const udpOnly = deployment();
  (udpOnly['spec'] as { template: { spec: { containers: { ports: unknown[] }[] } } }).template.spec.containers[0]!.ports = [{ containerPort: 514, protocol: 'UDP' }];
  t.deepEqual(serviceFor(udpOnly, { port: '514' }).spec?.ports, [{ port: 514, protocol: 'UDP', targetPort: 514 }]);
  t.deepEqual(serviceFor({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'p' } }, spec: { containers: [{ name: 'c' }] } }, { clusterIP: 'None' }).spec,
    { selector: { app: 'p' }, clusterIP: 'None' }, 'a headless Service needs no port');
});

test('what cannot be exposed says why, in kubectl\'s words', (t) => {
  const noPorts = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { app: 'p' } }, spec: { containers: [{ name: 'c' }] } };
  t.throws(() => serviceFor(noPorts, {}), { message: 'couldn\'t find port via --port flag or introspection' });
  t.throws(() => serviceFor({ ...noPorts, metadata: { name: 'p' } }, { port: '80' }), { message: 'couldn\'t retrieve selectors via --selector flag or introspection: the pod has no labels and cannot be exposed' });
  t.throws(() => serviceFor(deployment({ selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] } }), { port: '80' }), {
    message: 'couldn\'t retrieve selectors via --selector flag or introspection: couldn\'t convert expressions - "[{Key:tier Operator:In Values:[a b]}]" to map-based selector format',
  });
  t.throws(() => serviceFor(deployment({ selector: {} }), { port: '80' }), { message: /invalid deployment: no selectors, therefore cannot be exposed$/ });
  t.throws(() => serviceFor(deployment(), { port: 'http' }), { message: '--port: "http" is not a port number' });
});

let server: SecureServer;
test.before(async () => {
  server = await startSecureServer();
  const applied = await server.tctl(['apply', '-f', '-'], {}, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [deployment()] }));
  if (applied.code !== 0) throw new Error(`apply failed: ${applied.stderr}`);
});
test.after.always(async () => { await server?.stop(); });

test.serial('expose deployment: service/NAME exposed; get svc shows it as kubectl does, -o wide with its selector', async (t) => {
  t.deepEqual(await server.tctl(['expose', 'deployment', 'web', '--port', '80', '--target-port', '8080']), { code: 0, stdout: 'service/web exposed\n', stderr: '' });
  const svc = await server.api.client().get<KubeObject & { spec?: { clusterIP?: string } }>('services', 'default', 'web');
  const ip = svc.spec?.clusterIP ?? '';
  t.regex(ip, /^198\.19\./);
  const get = await server.tctl(['get', 'svc', 'web', '-o', 'wide']);
  t.is(get.code, 0, get.stderr);
  const [header, row] = get.stdout.trimEnd().split('\n');
  t.deepEqual(header?.split(/\s{2,}/), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE', 'SELECTOR']);
  t.regex(row ?? '', new RegExp(`^web\\s+ClusterIP\\s+${ip.replace(/\./g, '\\.')}\\s+<none>\\s+80/TCP\\s+\\d+s\\s+app=web$`));

  t.deepEqual(await server.tctl(['expose', 'deploy/web', '--port', '80', '--type', 'NodePort', '--name', 'web-np']), { code: 0, stdout: 'service/web-np exposed\n', stderr: '' });
  const np = await server.tctl(['get', 'services', 'web-np', '--no-headers']);
  t.regex(np.stdout, /^web-np\s+NodePort\s+198\.19\.\S+\s+<none>\s+80:3\d{4}\/TCP\s+\d+s\n$/);

  const again = await server.tctl(['expose', 'deployment', 'web', '--port', '80']);
  t.is(again.code, 1);
  t.is(again.stderr, 'error: services "web" already exists\n');
});

test.serial('expose --dry-run=client -o yaml prints the Service and creates nothing; other kinds cannot be exposed', async (t) => {
  const r = await server.tctl(['expose', 'deployment', 'web', '--port', '8081', '--name', 'preview', '--dry-run=client', '-o', 'yaml']);
  t.deepEqual(r, {
    code: 0, stderr: '',
    stdout: [
      'apiVersion: v1', 'kind: Service', 'metadata:', '  labels:', '    app: web', '    team: shop', '  name: preview', 'spec:', '  ports:',
      '  - port: 8081', '    protocol: TCP', '    targetPort: 8081', '  selector:', '    app: web', '',
    ].join('\n'),
  });
  t.is(await server.api.client().tryGet('services', 'default', 'preview'), undefined);
  t.deepEqual(await server.tctl(['expose', 'deployment', 'web', '--port', '8081', '--name', 'preview', '--dry-run=server']), { code: 0, stdout: 'service/preview exposed (server dry run)\n', stderr: '' });
  const ns = await server.tctl(['expose', 'namespace', 'default', '--port', '80']);
  t.deepEqual(ns, { code: 1, stdout: '', stderr: 'error: cannot expose a Namespace\n' });
  const missing = await server.tctl(['expose', 'deployment', 'ghost', '--port', '80']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^error: .*"ghost" not found\n$/);
});

test.serial('get ep and endpointslices, and describe svc with its endpoints from the EndpointSlices', async (t) => {
  const client = server.api.client();
  await client.create({
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' },
    subsets: [{ addresses: ['198.18.1.2', '198.18.1.3', '198.18.2.2', '198.18.2.3'].map((ip) => ({ ip })), ports: [{ port: 8080, protocol: 'TCP' }] }],
  });
  await client.create({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-x7k2p', namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['198.18.1.2'], conditions: { ready: true } },
      { addresses: ['198.18.1.3'], conditions: { ready: false } },
      { addresses: ['198.18.2.2'], conditions: { ready: true } },
    ],
    ports: [{ name: '', port: 8080, protocol: 'TCP' }],
  });
  const ep = await server.tctl(['get', 'ep']);
  t.is(ep.code, 0, ep.stderr);
  t.regex(ep.stdout, /^NAME\s+ENDPOINTS\s+AGE\nweb\s+198\.18\.1\.2:8080,198\.18\.1\.3:8080,198\.18\.2\.2:8080 \+ 1 more\.\.\.\s+\d+s\n$/);
  const slices = await server.tctl(['get', 'endpointslices']);
  t.regex(slices.stdout, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\nweb-x7k2p\s+IPv4\s+8080\s+198\.18\.1\.2,198\.18\.1\.3,198\.18\.2\.2\s+\d+s\n$/);

  const d = await server.tctl(['describe', 'svc', 'web']);
  t.is(d.code, 0, d.stderr);
  const ip = (await client.get<KubeObject & { spec?: { clusterIP?: string } }>('services', 'default', 'web')).spec?.clusterIP ?? '';
  for (const line of [
    'Name:                     web', 'Namespace:                default', 'Labels:                   app=web', '                          team=shop',
    'Annotations:              <none>', 'Selector:                 app=web', 'Type:                     ClusterIP', 'IP Family Policy:         SingleStack',
    'IP Families:              IPv4', `IP:                       ${ip}`, `IPs:                      ${ip}`, 'Port:                     <unset>  80/TCP',
    'TargetPort:               8080/TCP', 'Endpoints:                198.18.1.2:8080,198.18.2.2:8080', 'Session Affinity:         None',
    'Internal Traffic Policy:  Cluster', 'Events:                   <none>',
  ]) t.true(d.stdout.split('\n').includes(line), `${line}\n---\n${d.stdout}`);
  const other = await server.tctl(['describe', 'service', 'web-np']);
  t.regex(other.stdout, /^NodePort: +<unset> {2}3\d{4}\/TCP\nEndpoints: +<none>$/m);
  t.regex(other.stdout, /^External Traffic Policy: +Cluster$/m);
});
