import test from 'ava';
import {
  EMPTY_STATE, desiredState, fullRuleset, partialBatch, proxyTableName, serviceRules, staleChainBatch,
} from './ruleset.js';
import type { ProxyService, ProxyServicePort } from './service-ports.js';

const T = 'tugboat-proxy-test';

const port = (endpoints: string[], extra: Partial<ProxyServicePort> = {}): ProxyServicePort => ({
  name: 'http', protocol: 'tcp', port: 80, endpoints: endpoints.map((ip) => ({ ip, port: 8080 })), ...extra,
});
const service = (name: string, clusterIP: string, ports: ProxyServicePort[], externalIPs: string[] = []): ProxyService => ({
  namespace: 'default', name, clusterIP, externalIPs, ports,
});

test('a Service with endpoints: a chain spreading over them, one DNAT chain each, its ClusterIP in service-ips', (t) => {
  const r = serviceRules(service('web', '198.19.0.20', [port(['198.18.1.5', '198.18.1.6'])]));
  t.is(r.key, 'default/web');
  t.deepEqual(r.chains.map((c) => [c.name, c.rules]), [
    ['ep-default/web/tcp/http__198.18.1.5/8080', ['ip saddr 198.18.1.5 jump mark-for-masquerade', 'meta l4proto tcp dnat to 198.18.1.5:8080']],
    ['ep-default/web/tcp/http__198.18.1.6/8080', ['ip saddr 198.18.1.6 jump mark-for-masquerade', 'meta l4proto tcp dnat to 198.18.1.6:8080']],
    ['svc-default/web/tcp/http', ['numgen random mod 2 vmap { 0 : goto ep-default/web/tcp/http__198.18.1.5/8080, 1 : goto ep-default/web/tcp/http__198.18.1.6/8080 }']],
  ]);
  t.deepEqual(r.elements, [
    { map: 'cluster-ips', key: '198.19.0.20', value: '' },
    { map: 'service-ips', key: '198.19.0.20 . tcp . 80', value: 'goto svc-default/web/tcp/http' },
  ]);
  t.deepEqual(serviceRules(service('web', '198.19.0.20', [port(['198.18.1.5'])])).chains.find((c) => c.name.startsWith('svc-'))?.rules,
    ['goto ep-default/web/tcp/http__198.18.1.5/8080'], 'one endpoint: no numgen');
});

test('NodePort and external IPs go through a chain that marks for masquerade; no endpoints: refused, no chains', (t) => {
  const r = serviceRules(service('web', '198.19.0.20', [port(['198.18.1.5'], { nodePort: 30080 })], ['198.19.255.50']));
  t.deepEqual(r.chains.find((c) => c.name === 'ext-default/web/tcp/http')?.rules, ['jump mark-for-masquerade', 'goto svc-default/web/tcp/http']);
  t.deepEqual(r.elements.slice(1), [
    { map: 'service-ips', key: '198.19.0.20 . tcp . 80', value: 'goto svc-default/web/tcp/http' },
    { map: 'service-ips', key: '198.19.255.50 . tcp . 80', value: 'goto ext-default/web/tcp/http' },
    { map: 'service-nodeports', key: 'tcp . 30080', value: 'goto ext-default/web/tcp/http' },
  ]);
  const none = serviceRules(service('dns', '198.19.0.10', [port([], { name: 'dns', protocol: 'udp', port: 53, nodePort: 30053 })]));
  t.deepEqual(none.chains, []);
  t.deepEqual(none.elements, [
    { map: 'cluster-ips', key: '198.19.0.10', value: '' },
    { map: 'no-endpoint-services', key: '198.19.0.10 . udp . 53', value: 'goto reject-chain' },
    { map: 'no-endpoint-nodeports', key: 'udp . 30053', value: 'goto reject-chain' },
  ]);
});

test('the full ruleset: the table made, deleted and written again in one batch, with hooks, maps and elements', (t) => {
  const state = desiredState([serviceRules(service('web', '198.19.0.20', [port(['198.18.1.5'], { nodePort: 30080 })]))]);
  const text = fullRuleset(T, {}, state, 'tugboat service proxy of node n1');
  t.true(text.startsWith(`table ip ${T} {}\ndelete table ip ${T}\ntable ip ${T} {\n\tcomment "tugboat service proxy of node n1"\n`));
  for (const line of [
    '\tchain nat-prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n\t\tjump services\n\t}',
    '\tchain nat-output {\n\t\ttype nat hook output priority -100; policy accept;\n\t\tjump services\n\t}',
    '\tchain nat-postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n\t\tjump masquerading\n\t}',
    '\t\tip daddr . meta l4proto . th dport vmap @service-ips\n\t\tfib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports\n',
    '\tchain reject-chain {\n\t\tmeta l4proto tcp reject with tcp reset\n\t\treject with icmp type port-unreachable\n\t}',
    '\tchain masquerading {\n\t\tmeta mark & 0x4000 == 0 return\n\t\tmeta mark set meta mark xor 0x4000\n\t\tmasquerade fully-random\n\t}',
    '\tchain ep-default/web/tcp/http__198.18.1.5/8080 {\n\t\tip saddr 198.18.1.5 jump mark-for-masquerade\n\t\tmeta l4proto tcp dnat to 198.18.1.5:8080\n\t}',
    `add element ip ${T} cluster-ips { 198.19.0.20 }\n`,
    `add element ip ${T} service-ips { 198.19.0.20 . tcp . 80 : goto svc-default/web/tcp/http }\n`,
    `add element ip ${T} service-nodeports { tcp . 30080 : goto ext-default/web/tcp/http }\n`,
  ]) t.true(text.includes(line), line);
  t.false(text.includes('nodeport-ips'));
  const limited = fullRuleset(T, { nodePortIPs: ['198.19.255.3', '198.19.255.4'] }, state);
  t.true(limited.includes('\t\telements = { 198.19.255.3, 198.19.255.4 }'));
  t.true(limited.includes('\t\tip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports'));
  t.false(limited.includes('fib daddr type local'));
});

test('a partial batch: an endpoint gone rewrites the Service chain and empties the endpoint\'s; nothing else', (t) => {
  const others = Array.from({ length: 50 }, (_, i) => serviceRules(service(`s${i}`, `198.19.1.${i + 1}`, [port([`198.18.2.${i + 1}`, `198.18.3.${i + 1}`])])));
  const before = desiredState([...others, serviceRules(service('web', '198.19.0.20', [port(['198.18.1.5', '198.18.1.6'])]))]);
  const after = desiredState([...others, serviceRules(service('web', '198.19.0.20', [port(['198.18.1.5'])]))]);
  const b = partialBatch(T, before, after);
  t.is(b.text, [
    `add chain ip ${T} svc-default/web/tcp/http`,
    `flush chain ip ${T} svc-default/web/tcp/http`,
    `add rule ip ${T} svc-default/web/tcp/http goto ep-default/web/tcp/http__198.18.1.5/8080`,
    `flush chain ip ${T} ep-default/web/tcp/http__198.18.1.6/8080`,
    '',
  ].join('\n'));
  t.deepEqual(b.removedChains, ['ep-default/web/tcp/http__198.18.1.6/8080']);
  t.is(b.writtenChains, 1);
  t.is(b.changedElements, 0);
  t.is(partialBatch(T, after, after).text, '', 'nothing changed: nothing to do');
  t.is(staleChainBatch(T, b.removedChains), `delete chain ip ${T} ep-default/web/tcp/http__198.18.1.6/8080\n`);
  t.is(staleChainBatch(T, []), '');
});

test('a partial batch: endpoints arriving swap the refusal for the dispatch; a Service going takes its elements', (t) => {
  const none = desiredState([serviceRules(service('web', '198.19.0.20', [port([], { nodePort: 30080 })]))]);
  const one = desiredState([serviceRules(service('web', '198.19.0.20', [port(['198.18.1.5'], { nodePort: 30080 })]))]);
  t.is(partialBatch(T, none, one).text, [
    `delete element ip ${T} no-endpoint-services { 198.19.0.20 . tcp . 80 }`,
    `delete element ip ${T} no-endpoint-nodeports { tcp . 30080 }`,
    `add chain ip ${T} ep-default/web/tcp/http__198.18.1.5/8080`,
    `add chain ip ${T} svc-default/web/tcp/http`,
    `add chain ip ${T} ext-default/web/tcp/http`,
    `add rule ip ${T} ep-default/web/tcp/http__198.18.1.5/8080 ip saddr 198.18.1.5 jump mark-for-masquerade`,
    `add rule ip ${T} ep-default/web/tcp/http__198.18.1.5/8080 meta l4proto tcp dnat to 198.18.1.5:8080`,
    `add rule ip ${T} svc-default/web/tcp/http goto ep-default/web/tcp/http__198.18.1.5/8080`,
    `add rule ip ${T} ext-default/web/tcp/http jump mark-for-masquerade`,
    `add rule ip ${T} ext-default/web/tcp/http goto svc-default/web/tcp/http`,
    `add element ip ${T} service-ips { 198.19.0.20 . tcp . 80 : goto svc-default/web/tcp/http }`,
    `add element ip ${T} service-nodeports { tcp . 30080 : goto ext-default/web/tcp/http }`,
    '',
  ].join('\n'));
  const gone = partialBatch(T, one, EMPTY_STATE);
  t.is(gone.text, [
    `delete element ip ${T} cluster-ips { 198.19.0.20 }`,
    `delete element ip ${T} service-ips { 198.19.0.20 . tcp . 80 }`,
    `delete element ip ${T} service-nodeports { tcp . 30080 }`,
    `flush chain ip ${T} ep-default/web/tcp/http__198.18.1.5/8080`,
    `flush chain ip ${T} svc-default/web/tcp/http`,
    `flush chain ip ${T} ext-default/web/tcp/http`,
    '',
  ].join('\n'));
  t.deepEqual(gone.removedChains, ['ep-default/web/tcp/http__198.18.1.5/8080', 'svc-default/web/tcp/http', 'ext-default/web/tcp/http']);
});

test('an element that moves to another verdict is deleted before it is added again (nft refuses to overwrite it)', (t) => {
  const a = desiredState([serviceRules(service('a', '198.19.0.20', [port(['198.18.1.5'], { nodePort: 30080 })]))]);
  // The node port is given back by one Service and taken by another in the same sync.
  const b = desiredState([serviceRules(service('b', '198.19.0.21', [port(['198.18.1.5'], { nodePort: 30080 })]))]);
  const lines = partialBatch(T, a, b).text.split('\n');
  const del = lines.indexOf(`delete element ip ${T} service-nodeports { tcp . 30080 }`);
  const add = lines.indexOf(`add element ip ${T} service-nodeports { tcp . 30080 : goto ext-default/b/tcp/http }`);
  t.true(del >= 0 && add > del);
});

test('one table per agent: named from a hash of the node name and its scope (the data dir)', (t) => {
  t.regex(proxyTableName('node-1', '/a'), /^tugboat-proxy-[0-9a-f]{8}$/);
  t.is(proxyTableName('node-1', '/a'), proxyTableName('node-1', '/a'));
  t.not(proxyTableName('node-1', '/a'), proxyTableName('node-1', '/b'), 'two local clusters\' node-1 in one namespace');
  t.not(proxyTableName('node-1', '/a'), proxyTableName('node-2', '/a'));
});
