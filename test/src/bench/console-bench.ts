// The web console's fleet view at fleet scale (issue 16: "with 1,000 hollow nodes, the fleet
// view loads in ≤ 3 s and stays responsive"), measured in a real browser.
//
//   npm run bench:console -- [--nodes 1000] [--pods 3000] [--burst 1000] [--loads 3]
//                            [--nodes-per-agent 500] [--timeout 600]
//
// It brings up the real local control plane (`tctl cluster up --nodes 0 --random-ports`, its
// own $TUGBOAT_HOME) and N hollow nodes (`tugboat-agent --hollow K` processes, Kubernetes'
// heartbeat pace: Lease every 10 s, node status every 60 s), waits for them all Ready, runs P
// pods on them (one Deployment), then opens the console in Debian's chromium (playwright-core)
// with the sign-in link `tctl console` prints, as a user does, and measures:
//   load: from navigation start (the page's performance.now() origin) until the fleet view
//     shows N nodes: the node count says N, N node cells are in the DOM and the pods' count
//     is in; --loads fresh browser contexts (cold cache each), the median is the figure;
//   filter: typing a node's name in the search box until the view shows that one node (and
//     clearing it until all N are back), timed inside the page up to the frame that shows it;
//     a label selector (kubernetes.io/hostname=…), which the API server applies, the same way;
//   long tasks: the longest main-thread task (PerformanceObserver 'longtask', ≥ 50 ms) during
//     each load, and during a burst of live updates: the Deployment scaled by B while the page
//     is open, until the page counts every pod (a search is timed in the middle of it);
//   heap: the page's JS heap (CDP Performance.getMetrics) after the load and after the burst.
// Last line: `console: N nodes loaded in X s (the median); filter Y ms; longest task Z ms (the
// longest of every load and the burst)`. Exits 1 when
// the load takes more than 3 s, 2 on an error. Everything is torn down on the way out.
import os from 'node:os';
import type { Page } from 'playwright-core';
import { Informer, sleep, type KubeObject, type Node, type Pod } from '@tugboat/api';
import { BenchRun, runBench } from '../harness/bench-run.js';
import { browserMissing, launchBrowser, newContext } from '../harness/browser.js';
import { startLocalCluster } from '../harness/cluster.js';
import { HollowAgents, sleepDeployment, waitForReadyNodes } from '../harness/hollow.js';

/** Issue 16's acceptance: the fleet view loads within this. */
const LOAD_BUDGET_MS = 3000;
const NAMESPACE = 'console-bench';
const DEPLOYMENT = 'fleet';

interface Args { nodes: number; pods: number; burst: number; loads: number; nodesPerAgent: number; timeoutSeconds: number }

const USAGE = 'flags: --nodes N, --pods P, --burst B, --loads L, --nodes-per-agent K, --timeout SECONDS';

function parseArgs(argv: readonly string[]): Args {
  const given = new Map<string, number>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    const text = argv[i + 1];
    const n = Number(text);
    if (!flag.startsWith('--') || text === undefined) throw new Error(`expected --flag value, got ${JSON.stringify(flag)} (${USAGE})`);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${flag}: expected a count, got ${JSON.stringify(text)}`);
    given.set(flag.slice(2), n);
  }
  const take = (name: string, fallback: number): number => {
    const v = given.get(name) ?? fallback;
    given.delete(name);
    return v;
  };
  const nodes = take('nodes', 1000);
  const args: Args = {
    nodes, pods: take('pods', nodes * 3), burst: take('burst', nodes), loads: Math.max(1, take('loads', 3)),
    nodesPerAgent: Math.max(1, take('nodes-per-agent', 500)), timeoutSeconds: take('timeout', 600),
  };
  const unknown = [...given.keys()];
  if (unknown.length) throw new Error(`unknown flag --${unknown[0]} (${USAGE})`);
  if (nodes < 2) throw new Error('--nodes: at least 2');
  return args;
}

const say = (line: string): void => { process.stdout.write(`${line}\n`); };
const ms = (n: number): string => `${n.toFixed(0)} ms`;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;

// ---- inside the page ---------------------------------------------------------------------
// These run in the browser (passed as functions: the console's Content-Security-Policy forbids
// eval, rightly). This package has no DOM types; the little they touch is declared here.
interface PageElement { textContent: string | null; value: string; dispatchEvent(e: unknown): boolean }
declare const document: { querySelector(s: string): PageElement | null; querySelectorAll(s: string): { length: number } };
declare const window: { __longTasks?: [number, number][] };
declare const URL: new (s: string) => { pathname: string; searchParams: { has(k: string): boolean } };
declare function requestAnimationFrame(f: () => void): number;
declare const Event: new (type: string, init?: { bubbles?: boolean; cancelable?: boolean }) => unknown;
declare const PerformanceObserver: new (f: (list: { getEntries(): { startTime: number; duration: number }[] }) => void) => { observe(o: { type: string; buffered: boolean }): void };

/** Installed before the page's own scripts: every long task, [start, duration] in page time. */
function recordLongTasks(): void {
  const tasks: [number, number][] = [];
  window.__longTasks = tasks;
  new PerformanceObserver((list) => { for (const e of list.getEntries()) tasks.push([e.startTime, e.duration]); }).observe({ type: 'longtask', buffered: true });
}

/** What "loaded" means: N nodes counted and drawn, the pods' list in. Page time when so, else false. */
function fleetShown([nodes, pods]: readonly [number, number]): number | false {
  const count = document.querySelector('[data-role=node-count]')?.textContent;
  const podCount = Number(document.querySelector('[data-role=pod-count]')?.textContent ?? 'NaN');
  return count === String(nodes) && podCount >= pods && document.querySelectorAll('[data-view=fleet] [data-node]').length === nodes
    ? performance.now() : false;
}

/** Types into an input (search, label filter) and times until `shown` node cells/tiles are in the DOM, at the frame that shows them. */
async function timeInput([selector, text, submit, shown, timeoutMs]: readonly [string, string, boolean, number, number]): Promise<number> {
  const input = document.querySelector(selector);
  if (!input) throw new Error(`no ${selector} on the page`);
  const nextFrame = (): Promise<void> => new Promise<void>((r) => requestAnimationFrame(() => r()));
  let t0 = performance.now();
  input.value = text;
  input.dispatchEvent(new Event('input', { bubbles: true }));
  if (submit) {
    // The label filter is a form: typed first (the page keeps the text), then Enter submits it.
    await nextFrame();
    t0 = performance.now();
    document.querySelector(`form:has(${selector})`)?.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
  }
  for (;;) {
    await nextFrame();
    if (document.querySelectorAll('[data-view=fleet] [data-node]').length === shown) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`${selector} = ${JSON.stringify(text)}: not ${shown} nodes shown after ${timeoutMs} ms`);
  }
}

/** When the document, the bundle and each list (not the watches, which stay open) arrived, in page time. */
function arrivals(): string {
  const parts: string[] = [];
  for (const e of performance.getEntriesByType('resource') as unknown as { name: string; responseStart: number; responseEnd: number; decodedBodySize: number }[]) {
    const url = new URL(e.name);
    if (url.searchParams.has('watch')) continue;
    const what = url.pathname.startsWith('/console/') ? url.pathname.slice('/console/'.length) : url.pathname;
    parts.push(`${what} ${e.responseStart.toFixed(0)}–${e.responseEnd.toFixed(0)} ms (${(e.decodedBodySize / 2 ** 20).toFixed(1)} MB)`);
  }
  return parts.join(', ');
}

const longTasks = (page: Page): Promise<[number, number][]> => page.evaluate(() => window.__longTasks ?? []);
const pageNow = (page: Page): Promise<number> => page.evaluate(() => performance.now());

function longest(tasks: readonly [number, number][], from = 0, to = Infinity): { max: number; count: number; total: number } {
  const inside = tasks.filter(([start]) => start >= from && start <= to);
  return { max: Math.max(0, ...inside.map(([, d]) => d)), count: inside.length, total: inside.reduce((s, [, d]) => s + d, 0) };
}

async function heapMB(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? NaN) / 2 ** 20;
}

// ---- the run ------------------------------------------------------------------------------

const run = new BenchRun();

type PodItem = Pod & KubeObject;
const isRunning = (p: PodItem): boolean => p.metadata?.namespace === NAMESPACE && !p.metadata.deletionTimestamp && p.status?.phase === 'Running';

/** Waits until `want` of the bench's pods are Running (as the informer sees them). */
async function waitForRunning(pods: Informer<PodItem>, want: number, timeoutSeconds: number): Promise<number> {
  const t0 = performance.now();
  let lastSaid = t0;
  for (;;) {
    const dead = run.agents?.dead();
    if (dead) throw dead;
    const running = pods.list().filter(isRunning).length;
    if (running >= want) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutSeconds * 1000) throw new Error(`only ${running} of ${want} pods Running after ${timeoutSeconds} s`);
    if (performance.now() - lastSaid > 10_000) {
      say(`  ${running} of ${want} pods Running after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      lastSaid = performance.now();
    }
    await sleep(500);
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const missing = browserMissing();
  if (missing) throw new Error(`no browser: ${missing}`);
  const cpus = os.cpus();
  say(`machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  say(`settings: ${args.nodes} hollow nodes (${Math.ceil(args.nodes / args.nodesPerAgent)} agent process(es), lease 10s, node status 60s), ${args.pods} pods, burst +${args.burst} pods, ${args.loads} page load(s)`);

  run.starting = startLocalCluster({ nodes: 0, args: ['--node-monitor-grace-period', '40s'] });
  const cluster = await run.starting;
  run.cluster = cluster;
  const client = cluster.client();
  run.onCleanup(() => client.close());
  const nodeInformer = new Informer<Node & KubeObject>(client, 'nodes');
  const podInformer = new Informer<PodItem>(client, 'pods');
  run.onCleanup(() => { nodeInformer.stop(); podInformer.stop(); });
  await Promise.all([nodeInformer.start(), podInformer.start()]);

  run.agents = HollowAgents.start(cluster, { nodes: args.nodes, nodesPerAgent: args.nodesPerAgent, leaseInterval: '10s', nodeStatusInterval: '60s' });
  const readySeconds = await waitForReadyNodes(nodeInformer, args.nodes, run.agents, args.timeoutSeconds, say);
  say(`nodes: ${args.nodes} hollow nodes Ready in ${readySeconds.toFixed(1)} s`);
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  const request = { cpu: '10m', memory: '16Mi' };
  await client.apply(sleepDeployment(DEPLOYMENT, NAMESPACE, args.pods, request), { fieldManager: 'console-bench' });
  say(`pods: ${args.pods} Running in ${(await waitForRunning(podInformer, args.pods, args.timeoutSeconds)).toFixed(1)} s`);

  const out = await cluster.tctl(['console']);
  const signIn = /https:\/\/\S+\/console\/#token=\S+/.exec(out.stdout)?.[0];
  if (out.code !== 0 || !signIn) throw new Error(`tctl console: ${out.stderr || out.stdout}`);

  const browser = await launchBrowser();
  run.onCleanup(() => browser.close());
  // ---- load, in fresh contexts (each a cold cache, as a first visit)
  const loads: { ms: number; longest: number; heap: number }[] = [];
  let page: Page | undefined;
  for (let i = 0; i < args.loads; i++) {
    await page?.context().close();
    const context = await newContext(browser);
    await context.addInitScript(recordLongTasks);
    page = await context.newPage();
    await page.goto(signIn, { waitUntil: 'commit' });
    const handle = await page.waitForFunction(fleetShown, [args.nodes, args.pods] as const, { polling: 'raf', timeout: 120_000 });
    const loadedAt = Number(await handle.jsonValue());
    const tasks = longest(await longTasks(page), 0, loadedAt);
    loads.push({ ms: loadedAt, longest: tasks.max, heap: await heapMB(page) });
    say(`load ${i + 1}: ${args.nodes} nodes shown ${ms(loadedAt)} after navigation; longest task ${ms(tasks.max)} (${tasks.count} long tasks, ${ms(tasks.total)} in all); JS heap ${loads.at(-1)!.heap.toFixed(1)} MB`);
    say(`  arrived: ${await page.evaluate(arrivals)}`);
  }
  if (!page) throw new Error('no page');
  const loadMs = median(loads.map((l) => l.ms));

  // ---- responsiveness: search by name, the label filter, with the page settled
  await sleep(2000);
  // A name no other node's contains (hollow-1-1 is in hollow-1-10…), from the middle of the fleet.
  const names = nodeInformer.list().map((n) => n.metadata?.name ?? '');
  const target = names.slice(Math.floor(names.length / 2)).find((n) => names.filter((m) => m.includes(n)).length === 1) ?? names[0] ?? '';
  const searchMs = await page.evaluate(timeInput, ['[data-role=search]', target, false, 1, 10_000] as const);
  const clearMs = await page.evaluate(timeInput, ['[data-role=search]', '', false, args.nodes, 10_000] as const);
  say(`search "${target}": 1 node shown in ${ms(searchMs)}; cleared: ${args.nodes} shown in ${ms(clearMs)}`);
  const labelMs = await page.evaluate(timeInput, ['[data-role=label-filter]', `kubernetes.io/hostname=${target}`, true, 1, 30_000] as const);
  const labelClearMs = await page.evaluate(timeInput, ['[data-role=label-filter]', '', true, args.nodes, 30_000] as const);
  say(`label filter kubernetes.io/hostname=${target} (a new list and watch): 1 node shown in ${ms(labelMs)}; cleared (all ${args.nodes} listed again): ${ms(labelClearMs)}`);

  // ---- a burst of live updates: scale up by B while the page is open
  const burstFrom = await pageNow(page);
  const burstT0 = performance.now();
  const total = args.pods + args.burst;
  const scale = await cluster.tctl(['scale', '-n', NAMESPACE, `deployment/${DEPLOYMENT}`, '--replicas', String(total)]);
  if (scale.code !== 0) throw new Error(`tctl scale: ${scale.stderr}`);
  await sleep(1000);
  const duringMs = await page.evaluate(timeInput, ['[data-role=search]', target, false, 1, 10_000] as const);
  await page.evaluate(timeInput, ['[data-role=search]', '', false, args.nodes, 10_000] as const);
  const runningSeconds = await waitForRunning(podInformer, total, args.timeoutSeconds);
  await page.waitForFunction(fleetShown, [args.nodes, total] as const, { polling: 'raf', timeout: 60_000 });
  const burstTo = await pageNow(page);
  const burst = longest(await longTasks(page), burstFrom, burstTo);
  const burstHeap = await heapMB(page);
  say(`burst: +${args.burst} pods (tctl scale to ${total}): all Running ${((performance.now() - burstT0) / 1000).toFixed(1)} s after the scale (${runningSeconds.toFixed(1)} s of waiting), the page counting them; ` +
    `longest task ${ms(burst.max)} (${burst.count} long tasks, ${ms(burst.total)} in ${((burstTo - burstFrom) / 1000).toFixed(0)} s); a search during it: ${ms(duringMs)}; JS heap ${burstHeap.toFixed(1)} MB`);

  const worstLongest = Math.max(...loads.map((l) => l.longest), burst.max);
  say(`loads: ${loads.map((l) => ms(l.ms)).join(', ')} (median ${ms(loadMs)}, budget ${ms(LOAD_BUDGET_MS)}); load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  say(`console: ${args.nodes} nodes loaded in ${(loadMs / 1000).toFixed(2)} s; filter ${searchMs.toFixed(0)} ms; longest task ${worstLongest.toFixed(0)} ms`);
  return loadMs <= LOAD_BUDGET_MS ? 0 : 1;
}

runBench('bench:console', run, main);
