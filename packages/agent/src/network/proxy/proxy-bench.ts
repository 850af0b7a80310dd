// npm run bench:proxy — what one sync of the service proxy costs with 1,000 Services × 10
// endpoints: rule generation (Services and EndpointSlices → per-Service rules → the table's
// text or the minimal batch) and `nft -f -` applying it, in a scratch network namespace made
// here (nothing touches the caller's). Figures: the first (full) sync, a full resync over the
// existing table, then one Service changed (an endpoint replaced), added, removed, repeated.
// Options: --services N (1000), --endpoints N (10), --runs N (20).
import { spawnSync } from 'node:child_process';
import type { EndpointSlice, Service } from '@tugboat/api';
import { Nft, nftBinary, nftInstalled } from './nft.js';
import { desiredState, fullRuleset, partialBatch, proxyTableName, serviceRules, staleChainBatch, type ServiceRules } from './ruleset.js';
import { proxyService } from './service-ports.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name}: expected a positive whole number`);
  return v;
}

const SERVICES = arg('services', 1000);
const ENDPOINTS = arg('endpoints', 10);
const RUNS = arg('runs', 20);

// ClusterIPs 198.19.0.0/17 (the default range); endpoints 198.18.0.0/16: inside 198.18.0.0/15.
const clusterIP = (i: number): string => `198.19.${Math.floor(i / 250)}.${(i % 250) + 1}`;
const podIP = (i: number, j: number): string => { const n = i * ENDPOINTS + j; return `198.18.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`; };

function service(i: number): Service {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name: `svc-${i}`, namespace: `ns-${i % 20}` }, spec: { type: i % 10 === 0 ? 'NodePort' : 'ClusterIP', clusterIP: clusterIP(i), ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', ...(i % 10 === 0 ? { nodePort: 30000 + i } : {}) }] } };
}

function slice(i: number, ips: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
    metadata: { name: `svc-${i}-abcde`, namespace: `ns-${i % 20}`, labels: { 'kubernetes.io/service-name': `svc-${i}` } },
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  };
}

const ms = (t0: number): number => performance.now() - t0;
const fmt = (n: number): string => `${n.toFixed(1)} ms`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))] ?? NaN;

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:proxy needs root (it makes a network namespace)');
  if (!nftInstalled()) throw new Error('bench:proxy needs nft (nftables)');
  const ns = `tbbench-${process.pid}`;
  spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
  const cleanup = (): void => { spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }); };
  process.on('exit', cleanup);
  const nft = new Nft(ns);
  const table = proxyTableName('bench-node', ns);
  console.log(`bench:proxy — ${SERVICES} Services × ${ENDPOINTS} endpoints (every 10th a NodePort), nft ${spawnSync(nftBinary() ?? 'nft', ['--version'], { encoding: 'utf8' }).stdout.trim()}, node ${process.version}, in network namespace ${ns}`);

  const services = Array.from({ length: SERVICES }, (_, i) => service(i));
  const slices = Array.from({ length: SERVICES }, (_, i) => slice(i, Array.from({ length: ENDPOINTS }, (_, j) => podIP(i, j))));
  const rules = new Map<string, ServiceRules>();

  // First sync: every Service, the whole table.
  let t0 = performance.now();
  for (let i = 0; i < SERVICES; i++) {
    const info = proxyService(services[i] as Service, [slices[i] as EndpointSlice]);
    if (info) rules.set(`${info.namespace}/${info.name}`, serviceRules(info));
  }
  let applied = desiredState([...rules.keys()].sort().map((k) => rules.get(k) as ServiceRules));
  const text = fullRuleset(table, {}, applied);
  const genFull = ms(t0);
  t0 = performance.now();
  await nft.apply(text);
  const nftFull = ms(t0);
  let elements = 0;
  for (const m of applied.elements.values()) elements += m.size;
  console.log(`\nfirst sync (full): ${applied.chains.size} chains, ${elements} map/set elements, ${(text.length / 1e6).toFixed(2)} MB of nft text`);
  console.log(`  generate ${fmt(genFull)}   nft -f ${fmt(nftFull)}   total ${fmt(genFull + nftFull)}`);

  t0 = performance.now();
  const listed = (await nft.listTable(table)) ?? '';
  console.log(`  read back (nft list table): ${fmt(ms(t0))}, ${listed.split('\n').length} lines`);

  // A periodic full resync over the existing table (deleted and written again in one batch).
  t0 = performance.now();
  const again = fullRuleset(table, {}, desiredState([...rules.keys()].sort().map((k) => rules.get(k) as ServiceRules)));
  const genResync = ms(t0);
  t0 = performance.now();
  await nft.apply(again);
  console.log(`full resync over the existing table: generate ${fmt(genResync)}   nft -f ${fmt(ms(t0))}`);

  // One Service changes: one endpoint replaced by another (what a rolling update does).
  const gen: number[] = [];
  const apply: number[] = [];
  const stale: number[] = [];
  let lines = 0;
  for (let r = 0; r < RUNS; r++) {
    const i = (r * 37) % SERVICES;
    const ips = Array.from({ length: ENDPOINTS }, (_, j) => podIP(i, j));
    ips[r % ENDPOINTS] = `198.18.255.${(r % 250) + 2}`;
    slices[i] = slice(i, ips);
    t0 = performance.now();
    const info = proxyService(services[i] as Service, [slices[i] as EndpointSlice]);
    if (info) rules.set(`${info.namespace}/${info.name}`, serviceRules(info));
    const desired = desiredState(rules.values());
    const batch = partialBatch(table, applied, desired);
    gen.push(ms(t0));
    t0 = performance.now();
    await nft.apply(batch.text);
    apply.push(ms(t0));
    // The proxy deletes emptied chains a second later, off the change's path; timed apart.
    t0 = performance.now();
    await nft.apply(staleChainBatch(table, batch.removedChains));
    stale.push(ms(t0));
    applied = desired;
    lines = batch.text.split('\n').length - 1;
  }
  console.log(`\none Service changed (an endpoint replaced), ${RUNS} runs: batch of ${lines} nft lines`);
  console.log(`  generate median ${fmt(median(gen))} (p90 ${fmt(p90(gen))})   nft -f median ${fmt(median(apply))} (p90 ${fmt(p90(apply))})   total median ${fmt(median(gen) + median(apply))}`);
  console.log(`  1 s later, deleting the emptied endpoint chain: nft -f median ${fmt(median(stale))}`);

  // One Service added, then removed.
  const extra = SERVICES;
  t0 = performance.now();
  const info = proxyService(service(extra), [slice(extra, Array.from({ length: ENDPOINTS }, (_, j) => podIP(extra, j)))]);
  if (info) rules.set(`${info.namespace}/${info.name}`, serviceRules(info));
  let desired = desiredState(rules.values());
  let batch = partialBatch(table, applied, desired);
  const genAdd = ms(t0);
  t0 = performance.now();
  await nft.apply(batch.text);
  console.log(`one Service added: generate ${fmt(genAdd)}   nft -f ${fmt(ms(t0))}   (${batch.text.split('\n').length - 1} lines)`);
  applied = desired;
  t0 = performance.now();
  if (info) rules.delete(`${info.namespace}/${info.name}`);
  desired = desiredState(rules.values());
  batch = partialBatch(table, applied, desired);
  const genDel = ms(t0);
  t0 = performance.now();
  await nft.apply(batch.text);
  const nftDel = ms(t0);
  t0 = performance.now();
  await nft.apply(staleChainBatch(table, batch.removedChains));
  console.log(`one Service removed: generate ${fmt(genDel)}   nft -f ${fmt(nftDel)}   then its ${batch.removedChains.length} emptied chains deleted: ${fmt(ms(t0))}`);
  await nft.deleteTable(table);
  cleanup();
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:proxy: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
