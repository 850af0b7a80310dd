// The web console (issue 16) in a real browser against `tctl cluster up --nodes 3` with the
// demo applied: the fleet view shows the nodes and the demo's pods where they run, follows a
// scale-up and a node crash live (no reload), a pod page shows the scheduler's message and
// streams logs; without a token the page shows the login and the API answers 401. Last, 200
// hollow nodes join (one `tugboat-agent --hollow` process): the fleet view turns into the heat
// map and the search still finds one node (bench:console measures 1,000).
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { browserMissing, launchBrowser, newContext, testOutputDir } from '../harness/browser.js';
import { REPO_ROOT, startLocalCluster, type LocalClusterHandle } from '../harness/cluster.js';
import { HollowAgents } from '../harness/hollow.js';
import { applyManifest, eventually, followPods, podsOf } from './helpers.js';

const missing = browserMissing();
if (missing) console.log(`[e2e] console tests skipped: ${missing}`);
const browserTest = missing ? test.serial.skip : test.serial;

let cluster: LocalClusterHandle;
let browser: Browser;
/** https://127.0.0.1:PORT/console/ */
let consoleUrl: string;
/** The console's sign-in link from `tctl console` (token in the fragment). */
let signInLink: string;
let page: Page;
/** Main-frame navigations of the signed-in page: a live view never reloads. */
let navigations = 0;

// Only the cluster here: ava gives a hook or test 120 s of silence, and a loaded machine needs
// much of it for `cluster up`; the demo and the browser come in the first tests.
test.before(async () => {
  if (missing) return;
  cluster = await startLocalCluster({ nodes: 3, runtime: 'process', args: ['--node-monitor-grace-period', '2s'] });
});

let hollow: HollowAgents | undefined;

test.after.always(async () => {
  await hollow?.stop();
  await browser?.close().catch(() => undefined);
  await cluster?.destroy();
});

async function demoPods(): Promise<{ name: string; node: string }[]> {
  const pods = await podsOf(cluster, 'app.kubernetes.io/part-of!=nothing', 'demo');
  return pods.filter((p) => !p.metadata.deletionTimestamp && p.spec.nodeName).map((p) => ({ name: p.metadata.name, node: p.spec.nodeName! }));
}

browserTest('cluster up and status print the console\'s address; tctl console a sign-in link', async (t) => {
  await applyManifest(cluster, readFileSync(join(REPO_ROOT, 'manifests', 'demo.yaml'), 'utf8'));
  const rollout = await cluster.tctl(['rollout', 'status', '-n', 'demo', 'deployment/web', '--timeout', '90s']);
  t.is(rollout.code, 0, rollout.stderr);
  const out = await cluster.tctl(['console']);
  t.is(out.code, 0, out.stderr);
  signInLink = /https:\/\/\S+\/console\/#token=\S+/.exec(out.stdout)?.[0] ?? '';
  consoleUrl = signInLink.replace(/#.*/, '');
  t.regex(cluster.upOutput, /Web console: https:\/\/127\.0\.0\.1:\d+\/console\//);
  const status = await cluster.tctl(['cluster', 'status']);
  t.true(status.stdout.includes(`Web console: ${consoleUrl}`), status.stdout);
  t.regex(signInLink, /#token=eyJ/);
});

browserTest('without credentials the page shows the login, never data, and the API answers 401', async (t) => {
  browser = await launchBrowser();
  const context = await newContext(browser);
  const anon = await context.newPage();
  const apiCodes: number[] = [];
  anon.on('response', (r) => { if (!new URL(r.url()).pathname.startsWith('/console/')) apiCodes.push(r.status()); });
  await anon.goto(consoleUrl);
  await anon.waitForSelector('[data-view=login]');
  t.is(await anon.locator('[data-node], [data-pod]').count(), 0);
  t.false((await anon.content()).includes('node-1'), 'no node name in the page');
  // What the page would call, without a token: refused.
  t.is(await anon.evaluate(async () => (await fetch('/api/v1/pods')).status), 401);
  // A wrong token: the API refuses it, and the page goes back to the login saying so.
  await anon.fill('textarea[name=token]', 'not-a-real-token');
  await anon.click('button[type=submit]');
  await anon.waitForSelector('[data-role=login-error]');
  t.regex(await anon.locator('[data-role=login-error]').innerText(), /refused the token/);
  t.is(await anon.locator('[data-node], [data-pod]').count(), 0);
  t.true(apiCodes.length > 0, 'the page tried the API with the wrong token');
  t.deepEqual([...new Set(apiCodes)], [401], `API answers: ${apiCodes.join(',')}`);
  await context.close();
});

browserTest('the fleet view shows the 3 nodes and the demo\'s pods on their nodes (screenshot saved)', async (t) => {
  const context = await newContext(browser);
  page = await context.newPage();
  const started = Date.now();
  await page.goto(signInLink);
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
  await page.waitForSelector('[data-node=node-3]');
  t.log(`fleet view loaded in ${Date.now() - started} ms`);
  t.false(page.url().includes('token='), 'the token left the address bar');
  t.is(await page.locator('section[data-node]').count(), 3);
  for (const n of ['node-1', 'node-2', 'node-3']) t.is(await page.locator(`[data-node=${n}]`).getAttribute('data-state'), 'Ready');
  const pods = await demoPods();
  t.is(pods.length, 4, JSON.stringify(pods));
  for (const p of pods) {
    await page.locator(`section[data-node=${p.node}] [data-pod="demo/${p.name}"]`).waitFor({ timeout: 5000 });
  }
  const shot = join(testOutputDir('console'), 'fleet.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`[e2e] console: fleet view screenshot ${shot}`);
  t.pass();
});

/** Web pods the fleet page shows, in tiles or waiting for a node (not those being deleted). */
const WEB_PODS = '[data-pod^="demo/web-"]:not([data-terminating])';
const webPodsOnPage = (): Promise<number> => page.locator(WEB_PODS).count();
// The page's own DOM, inside functions the browser runs (this package has no DOM types). They
// go as functions, not strings: the console's Content-Security-Policy forbids eval, rightly.
declare const document: { querySelectorAll(s: string): { length: number }; querySelector(s: string): { textContent: string | null } | null };

/** Waits until exactly n elements match. */
const waitForCount = (selector: string, n: number, timeout: number): Promise<unknown> =>
  page.waitForFunction(([sel, want]) => document.querySelectorAll(sel).length === want, [selector, n] as const, { timeout, polling: 20 });

browserTest('tctl scale deployment/web --replicas 6: the page shows 6 pods within 2 s, without a reload', async (t) => {
  let apiAt = 0;
  const follow = await followPods(cluster, 'app=web', (pods) => {
    if (!apiAt && pods.filter((p) => !p.metadata?.deletionTimestamp).length === 6) apiAt = Date.now();
  }, 'demo');
  const before = navigations;
  const res = await cluster.tctl(['scale', '-n', 'demo', 'deployment/web', '--replicas', '6']);
  t.is(res.code, 0, res.stderr);
  const scaled = Date.now();
  await waitForCount(WEB_PODS, 6, 10_000);
  const shown = Date.now();
  await eventually('the API\'s 6 pods', async () => apiAt > 0, 10_000, 20);
  await follow.stop();
  console.log(`[e2e] console: 6 pods on the page ${shown - scaled} ms after tctl scale returned (${shown - apiAt} ms after the API had them)`);
  t.is(navigations, before, 'no reload');
  t.true(shown - scaled <= 2000, `${shown - scaled} ms`);
  t.is(await webPodsOnPage(), 6);
});

browserTest('cluster stop-node node-2: node-2 turns NotReady on the page and its pods move', async (t) => {
  await eventually('6 web pods running', async () => (await podsOf(cluster, 'app=web', 'demo')).filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp).length === 6, 60_000);
  const before = navigations;
  const onNode2 = await page.locator('section[data-node=node-2] [data-pod^="demo/"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-pod')));
  t.true(onNode2.length > 0, 'node-2 runs demo pods');
  const began = Date.now();
  const res = await cluster.tctl(['cluster', 'stop-node', 'node-2']);
  t.is(res.code, 0, res.stderr);
  const stopped = Date.now();
  await page.locator('section[data-node=node-2][data-state=NotReady]').waitFor({ timeout: 30_000 });
  console.log(`[e2e] console: node-2 NotReady on the page ${Date.now() - stopped} ms after tctl cluster stop-node returned (it took ${stopped - began} ms; grace period 2 s)`);
  // Moved: the web pods are back to 6 on node-1 and node-3, and node-2 runs none of them.
  await waitForCount(`section[data-node=node-1] ${WEB_PODS}, section[data-node=node-3] ${WEB_PODS}`, 6, 60_000);
  console.log(`[e2e] console: node-2's pods on other nodes on the page ${Date.now() - stopped} ms after stop-node returned`);
  t.is(await page.locator('section[data-node=node-2] [data-pod^="demo/web-"]:not([data-terminating])').count(), 0);
  t.is(navigations, before, 'no reload');
  t.is((await cluster.tctl(['cluster', 'start-node', 'node-2'])).code, 0);
});

browserTest('a pod too big for any node shows the scheduler\'s message on its page', async (t) => {
  await applyManifest(cluster, [
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: huge, namespace: demo}',
    'spec:', '  containers:', '  - name: c', '    image: busybox:1.36', '    command: ["sleep", "3600"]',
    '    resources: {requests: {cpu: "500"}}', '',
  ].join('\n'));
  await page.goto(`${consoleUrl}#/pods/demo/huge`);
  const message = page.locator('[data-role=scheduling]');
  await message.waitFor({ timeout: 30_000 });
  const text = await message.innerText();
  t.regex(text, /0\/3 nodes are available: .*Insufficient cpu/);
  // The same words the scheduler wrote on the pod.
  const pod = await cluster.tctl(['get', 'pod', 'huge', '-n', 'demo', '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")].message}']);
  t.true(text.includes(pod.stdout.trim()), `${text} vs ${pod.stdout}`);
});

browserTest('logs of a pod stream into its page', async (t) => {
  await applyManifest(cluster, [
    'apiVersion: v1', 'kind: Pod', 'metadata: {name: ticker, namespace: demo}',
    'spec:', '  containers:', '  - name: c', '    image: busybox:1.36',
    '    command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.5; done"]', '',
  ].join('\n'));
  await eventually('ticker running', async () => (await podsOf(cluster, 'app.kubernetes.io/part-of!=nothing', 'demo')).some((p) => p.metadata.name === 'ticker' && p.status.phase === 'Running'), 60_000);
  await page.goto(`${consoleUrl}#/pods/demo/ticker`);
  const before = navigations;
  const logs = page.locator('[data-role=logs]');
  await page.waitForFunction(() => /tick \d+/.test(document.querySelector('[data-role=logs]')?.textContent ?? ''), undefined, { timeout: 30_000 });
  const last = (text: string): number => Math.max(...[...text.matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
  const first = last(await logs.innerText());
  // Followed: later lines arrive on the same page, without a reload.
  await page.waitForFunction((line) => (document.querySelector('[data-role=logs]')?.textContent ?? '').includes(line), `tick ${first + 4}\n`, { timeout: 30_000 });
  t.true(last(await logs.innerText()) >= first + 4);
  t.is(navigations, before, 'no reload');
});

browserTest('with 200 more (hollow) nodes the fleet view is a heat map, and the search finds one node', async (t) => {
  const HOLLOW = 200;
  const total = 3 + HOLLOW;
  // This cluster's grace period is 2 s: its agents renew every 500 ms (grace / 4, as `tctl
  // cluster up` sets them). The agent's default (2 s) would let the hollow nodes flap between
  // Ready and Unknown, and all 203 would seldom be Ready at once (the cause of a CI failure).
  hollow = HollowAgents.start(cluster, { nodes: HOLLOW, nodesPerAgent: HOLLOW, leaseInterval: '500ms' });
  await page.goto(`${consoleUrl}#/fleet`);
  const began = Date.now();
  // Every node a cell, each Ready (the hollow ones register, then heartbeat).
  await page.waitForFunction((n) => document.querySelectorAll('[data-role=heatmap] [data-node][data-state=Ready]').length === n, total, { timeout: 60_000, polling: 100 })
    .catch((e: unknown) => { throw hollow?.dead() ?? e; });
  console.log(`[e2e] console: ${total} nodes as heat-map cells ${Date.now() - began} ms after the hollow agent started`);
  t.is(await page.locator('section[data-node]').count(), 0, 'no full tiles past FULL_TILES_MAX');
  t.is(await page.locator('[data-role=node-count]').innerText(), String(total));
  // The search narrows to one node, which is a full tile again; emptied, the heat map is back.
  await page.fill('[data-role=search]', 'hollow-1-137');
  await page.locator('section[data-node=hollow-1-137][data-state=Ready]').waitFor({ timeout: 5000 });
  t.is(await page.locator('[data-node]').count(), 1);
  await page.fill('[data-role=search]', '');
  await waitForCount('[data-role=heatmap] [data-node]', total, 5000);
  // A click on a cell narrows the search to that node.
  await page.click('[data-role=heatmap] [data-node=node-2]');
  await page.locator('section[data-node=node-2]').waitFor({ timeout: 5000 });
  t.is(await page.inputValue('[data-role=search]'), 'node-2');
});
