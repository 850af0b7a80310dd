import test from 'ava';
import { FlagError, parseDuration } from '@tugboat/api';
import { parseCommand, parseLogMaxSize, parseTaints, USAGE } from './flags.js';
import { DEFAULT_CONTAINER_LOG_MAX_BYTES, DEFAULT_CONTAINER_LOG_MAX_FILES } from './logs/container-log-manager.js';

/** The flags every run needs: secure by default. */
const TLS = ['--kubeconfig', '/k', '--tls-cert-file', '/c', '--tls-private-key-file', '/p', '--client-ca-file', '/ca'];

test('defaults: runtime auto (oci where it can run, else process), ports 10250/10350, data dir under TUGBOAT_HOME, Kubernetes back-off', (t) => {
  const r = parseCommand([...TLS, '--node-name', 'node-1'], { TUGBOAT_HOME: '/h' });
  if (r.command !== 'run') { t.fail(); return; }
  t.is(r.flags.server, undefined, 'the kubeconfig names the API server');
  t.like(r.flags, {
    kubeconfig: '/k', tlsCertFile: '/c', tlsPrivateKeyFile: '/p', clientCaFile: '/ca',
    nodeName: 'node-1', runtime: 'auto', dataDir: '/h/nodes/node-1', leaseIntervalMs: 2_000, leaseRenewIntervalMs: 10_000,
    hollow: 0, nodeStatusIntervalMs: 10_000, nodeStatusReportIntervalMs: 300_000, backoffInitialMs: 10_000, backoffMaxMs: 300_000,
  });
  t.deepEqual(r.flags.listen, { host: '127.0.0.1', port: 10250 });
  t.deepEqual(r.flags.httpListen, { host: '127.0.0.1', port: 10350 });
});

test('the kubeconfig, serving certificate and client CA are required, each named when missing', (t) => {
  t.throws(() => parseCommand(['--node-name', 'n'], {}), {
    message: '--kubeconfig, --tls-cert-file, --tls-private-key-file and --client-ca-file are required: the agent talks to the API server and serves logs and exec only over authenticated TLS',
  });
  t.throws(() => parseCommand(['--kubeconfig', '/k', '--tls-cert-file', '/c', '--tls-private-key-file', '/p'], {}), {
    message: '--client-ca-file is required: the agent talks to the API server and serves logs and exec only over authenticated TLS',
  });
  // --server overrides the kubeconfig's address.
  const r = parseCommand([...TLS, '--server', 'https://10.0.0.1:6443', '--node-name', 'n'], {});
  t.is(r.command === 'run' ? r.flags.server : undefined, 'https://10.0.0.1:6443');
});

test('every flag in both spellings', (t) => {
  const r = parseCommand([
    '--kubeconfig=/k', '--tls-cert-file=/c', '--tls-private-key-file=/p', '--client-ca-file=/ca', '--server=s:1', '--node-name', 'n', '--runtime=fake', '--labels', 'a=b,tier=edge', '--taints=k=v:NoSchedule,x:NoExecute',
    '--capacity', 'cpu=4,memory=8Gi,pods=50', '--listen', '0.0.0.0:0', '--http-listen=:9000', '--data-dir', '/d', '--lease-interval', '500ms',
  ], {});
  if (r.command !== 'run') { t.fail(); return; }
  t.deepEqual(r.flags.labels, { a: 'b', tier: 'edge' });
  t.deepEqual(r.flags.taints, [{ key: 'k', value: 'v', effect: 'NoSchedule' }, { key: 'x', effect: 'NoExecute' }]);
  t.deepEqual(r.flags.capacity, { cpu: '4', memory: '8Gi', pods: '50' });
  t.deepEqual(r.flags.httpListen, { host: '0.0.0.0', port: 9000 });
  t.is(r.flags.runtime, 'fake');
  t.is(r.flags.leaseIntervalMs, 500);
  t.is(r.flags.dataDir, '/d');
});

test('--hollow implies the fake runtime and a default name', (t) => {
  const r = parseCommand([...TLS, '--hollow', '5'], {});
  if (r.command !== 'run') { t.fail(); return; }
  t.is(r.flags.runtime, 'fake');
  t.is(r.flags.nodeName, 'hollow-node');
  t.throws(() => parseCommand([...TLS, '--hollow', '5', '--runtime', 'process'], {}), { message: /needs --runtime fake/ });
});

test('kill-containers and help', (t) => {
  t.deepEqual(parseCommand(['kill-containers', '--data-dir', '/x'], {}), { command: 'kill-containers', dataDir: '/x' });
  t.deepEqual(parseCommand(['--help'], {}), { command: 'help' });
  t.throws(() => parseCommand(['kill-containers'], {}), { message: /--data-dir is required/ });
});

test('bad flags are one clear line', (t) => {
  t.throws(() => parseCommand(['--nope'], {}), { message: 'unknown flag --nope' });
  t.throws(() => parseCommand(['--runtime', 'docker'], {}), { message: '--runtime: expected oci, process or fake, got "docker"' });
  t.throws(() => parseCommand(['--listen', 'x'], {}), { message: '--listen: expected HOST:PORT, got "x"' });
  t.throws(() => parseCommand(['--capacity', 'cpu=lots'], {}), { message: /--capacity: cpu=lots: not a quantity/ });
  t.throws(() => parseCommand(['--taints', 'k=v:Sometimes'], {}), { message: /must be NoSchedule, PreferNoSchedule or NoExecute/ });
  t.throws(() => parseCommand(['--labels', 'novalue'], {}), { message: '--labels: expected key=value, got "novalue"' });
  t.throws(() => parseCommand(['--node-name', 'Bad_Name'], {}), { message: /not a valid node name/ });
  t.throws(() => parseCommand(['--lease-interval', 'soon'], {}), { message: /--lease-interval: invalid duration "soon"/ });
  t.throws(() => parseCommand(['--server'], {}), { message: '--server needs a value' });
});

test('durations and taints', (t) => {
  t.is(parseDuration('1m30s', 'f'), 90_000);
  t.is(parseDuration('3', 'f'), 3_000);
  t.is(parseDuration('1.5s', 'f'), 1_500);
  t.deepEqual(parseTaints('dedicated=gpu:NoSchedule'), [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
});

test('--pod-cidr; without it, none (the Node gets one from the node IPAM controller)', (t) => {
  const r = parseCommand([...TLS, '--runtime', 'oci', '--pod-cidr', '198.18.8.0/24', '--node-name', 'n'], {});
  t.like(r.command === 'run' ? r.flags : {}, { runtime: 'oci', podCidr: '198.18.8.0/24' });
  const none = parseCommand([...TLS, '--runtime', 'oci', '--node-name', 'n'], {});
  t.is(none.command === 'run' ? none.flags.podCidr : 'x', undefined);
  t.throws(() => parseCommand(['--pod-cidr', '198.18.8.0'], {}), { message: /--pod-cidr: expected an IPv4 CIDR/ });
});

test('--cluster-dns and --cluster-domain (kubelet\'s): none and cluster.local by default', (t) => {
  const d = parseCommand([...TLS, '--node-name', 'n'], {});
  t.like(d.command === 'run' ? d.flags : {}, { clusterDNS: [], clusterDomain: 'cluster.local', insecureRegistries: [] });
  const r = parseCommand([...TLS, '--node-name', 'n', '--cluster-dns', '198.19.0.10,198.19.0.11', '--cluster-domain=Example.Internal.'], {});
  t.like(r.command === 'run' ? r.flags : {}, { clusterDNS: ['198.19.0.10', '198.19.0.11'], clusterDomain: 'example.internal' });
  t.throws(() => parseCommand([...TLS, '--cluster-dns', 'kube-dns'], {}), { message: '--cluster-dns: "kube-dns" is not an IP address' });
  t.throws(() => parseCommand([...TLS, '--cluster-domain', 'bad_domain'], {}), { message: '--cluster-domain: "bad_domain" is not a DNS domain like cluster.local' });
});

test('--registry-mirror: DOMAIN=HOST[:PORT], comma-separated', (t) => {
  const r = parseCommand([...TLS, '--node-name', 'n', '--registry-mirror', 'docker.io=127.0.0.1:5000,Quay.io=mirror.lan'], {});
  t.deepEqual(r.command === 'run' ? r.flags.registryMirrors : {}, { 'docker.io': '127.0.0.1:5000', 'quay.io': 'mirror.lan' });
  t.throws(() => parseCommand([...TLS, '--registry-mirror', 'docker.io'], {}), { message: '--registry-mirror: "docker.io" is not DOMAIN=HOST[:PORT]' });
  t.throws(() => parseCommand([...TLS, '--registry-mirror', 'docker.io=http://x'], {}), { message: /--registry-mirror: "docker.io=http:\/\/x"/ });
});

test('--insecure-registry: HOST[:PORT] or an IPv4 CIDR, comma-separated (Docker\'s insecure-registries)', (t) => {
  const r = parseCommand([...TLS, '--node-name', 'n', '--insecure-registry', 'Registry.lan:5000,198.19.240.1/32'], {});
  t.deepEqual(r.command === 'run' ? r.flags.insecureRegistries : [], ['registry.lan:5000', '198.19.240.1/32']);
  t.throws(() => parseCommand([...TLS, '--insecure-registry', '198.19.240.0/40'], {}), { message: '--insecure-registry: "198.19.240.0/40" is neither HOST[:PORT] nor an IPv4 CIDR' });
  t.throws(() => parseCommand([...TLS, '--insecure-registry', 'http://x'], {}), { message: /--insecure-registry: "http:\/\/x"/ });
});

test('service proxy flags: --proxy-kubeconfig, --proxy-mode (default auto), --nodeport-addresses', (t) => {
  const r = parseCommand([...TLS, '--node-name', 'n'], {});
  if (r.command !== 'run') { t.fail(); return; }
  t.is(r.flags.proxyKubeconfig, undefined, 'no proxy identity: no proxy');
  t.is(r.flags.proxyMode, 'auto');
  t.is(r.flags.nodePortAddresses, undefined);
  const p = parseCommand([...TLS, '--node-name', 'n', '--proxy-kubeconfig', '/kp', '--proxy-mode', 'nftables', '--nodeport-addresses', '198.19.255.0/24,primary'], {});
  t.like(p.command === 'run' ? p.flags : {}, { proxyKubeconfig: '/kp', proxyMode: 'nftables', nodePortAddresses: ['198.19.255.0/24', 'primary'] });
  t.throws(() => parseCommand([...TLS, '--proxy-mode', 'iptables'], {}), { message: '--proxy-mode: expected nftables or off, got "iptables"' });
  t.throws(() => parseCommand([...TLS, '--nodeport-addresses', 'eth0'], {}), { message: '--nodeport-addresses: "eth0" is not an IPv4 CIDR or "primary"' });
});

test('a value that starts with -- is a missing value, not the value (--server --node-name n)', (t) => {
  t.throws(() => parseCommand([...TLS, '--server', '--node-name', 'n'], {}), { message: '--server needs a value' });
  t.throws(() => parseCommand(['kill-containers', '--data-dir', '--help'], {}), { message: '--data-dir needs a value' });
});

test('--container-log-max-size and --container-log-max-files (kubelet\'s): 10Mi and 5 by default, wired to rotation', (t) => {
  const d = parseCommand([...TLS, '--node-name', 'n'], {});
  t.like(d.command === 'run' ? d.flags : {}, { containerLogMaxBytes: 10 * 1024 * 1024, containerLogMaxFiles: 5 });
  t.is(DEFAULT_CONTAINER_LOG_MAX_BYTES, 10 * 1024 * 1024, 'the flag default is the log manager\'s');
  t.is(DEFAULT_CONTAINER_LOG_MAX_FILES, 5);
  const r = parseCommand([...TLS, '--node-name', 'n', '--container-log-max-size', '1G', '--container-log-max-files=2'], {});
  t.like(r.command === 'run' ? r.flags : {}, { containerLogMaxBytes: 1_000_000_000, containerLogMaxFiles: 2 });
  // A quantity in any of its forms, rounded up to a whole byte as kubelet's Value().
  t.is(parseLogMaxSize('128Ki'), 131_072);
  t.is(parseLogMaxSize('1.5Mi'), 1_572_864);
  t.is(parseLogMaxSize('2e3'), 2_000);
  t.is(parseLogMaxSize('500m'), 1);
});

test('bad log rotation values are one line naming the flag', (t) => {
  t.throws(() => parseCommand([...TLS, '--container-log-max-size', '10MB'], {}), { message: '--container-log-max-size: expected a size such as 10Mi or 1G, got "10MB"' });
  t.throws(() => parseCommand([...TLS, '--container-log-max-size', 'lots'], {}), { message: '--container-log-max-size: expected a size such as 10Mi or 1G, got "lots"' });
  t.throws(() => parseCommand([...TLS, '--container-log-max-size', '0'], {}), { message: '--container-log-max-size: must be greater than 0, got "0"' });
  t.throws(() => parseCommand([...TLS, '--container-log-max-size=-1Mi'], {}), { message: '--container-log-max-size: must be greater than 0, got "-1Mi"' });
  t.throws(() => parseCommand([...TLS, '--container-log-max-files', '1'], {}), { message: '--container-log-max-files: expected an integer of at least 2, got "1"' });
  t.throws(() => parseCommand([...TLS, '--container-log-max-files', '2.5'], {}), { message: '--container-log-max-files: expected an integer of at least 2, got "2.5"' });
  t.throws(() => parseCommand([...TLS, '--container-log-max-files'], {}), { message: '--container-log-max-files needs a value' });
  for (const argv of [['--container-log-max-size', '0'], ['--container-log-max-files', '0']]) {
    const e = t.throws(() => parseCommand([...TLS, ...argv], {}), { instanceOf: FlagError });
    t.is(e?.flag, argv[0]);
    t.false(e?.message.includes('\n'));
  }
});

test('--help lists the log rotation flags with their defaults', (t) => {
  t.regex(USAGE, /--container-log-max-size QUANTITY\s+a container's log is rotated when it reaches this size \(default\n +10Mi/);
  t.regex(USAGE, /--container-log-max-files N\s+log files kept per container, the live one included \(default 5,/);
});
