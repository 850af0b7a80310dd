// DNS benchmark: queries per second and latency of tugboat-dns on one core.
//
//   npm run bench:dns -- [--services 300] [--seconds 10] [--inflight 256] [--cpu-prof DIR]
//
// A real etcd and API server (in this process) with `services` Services in namespace bench —
// one in ten headless, with an EndpointSlice of three endpoints — and a pod per headless
// Service. The built tugboat-dns runs as a child process with the system:kube-dns identity,
// pinned to core 1 (`taskset -c 1`, when taskset exists and there are two cores or more);
// the load generator is another process (pinned to core 0), sending UDP queries with
// `inflight` outstanding. The query mix is what pods send through their search path:
//   60%  <svc>.bench.svc.cluster.local A              (answered)
//   20%  <svc>.bench.bench.svc.cluster.local A        (NXDOMAIN: the first search-path try)
//    8%  _http._tcp.<svc>.bench.svc.cluster.local SRV (answered)
//    6%  <svc>.bench.svc.cluster.local AAAA           (NODATA)
//    6%  <a-b-c-d>.bench.pod.cluster.local A          (answered)
// It prints queries/s, p50/p99 latency, the answer counts, and the server's CPU use.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USER_KUBE_DNS, type KubeObject, type TugboatClient } from '@tugboat/api';
import { etcdAvailable, startApiServerInProcess, startEtcd, waitFor } from '@tugboat/test';
import { pod, service, slice } from '../test-util.js';
import type { LoadResult } from './load-generator.js';

interface Args { services: number; seconds: number; inflight: number; cpuProf: string }

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { services: 300, seconds: 10, inflight: 256, cpuProf: '' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    if (flag === '--cpu-prof') { a.cpuProf = value; continue; }
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(value)}`);
    switch (flag) {
      case '--services': a.services = n; break;
      case '--seconds': a.seconds = n; break;
      case '--inflight': a.inflight = n; break;
      default: throw new Error(`unknown flag ${JSON.stringify(flag)} (flags: --services N, --seconds N, --inflight N, --cpu-prof DIR)`);
    }
  }
  return a;
}

const BIN = fileURLToPath(new URL('../../bin/tugboat-dns.js', import.meta.url));
const LOADGEN = fileURLToPath(new URL('./load-generator.js', import.meta.url));
const NS = 'bench';

/** `taskset -c CORE` when it can pin (taskset present, ≥ 2 cores); else nothing. */
function pin(core: number): string[] {
  if (os.availableParallelism() < 2) return [];
  return spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0 ? ['taskset', '-c', String(core)] : [];
}

async function inBatches<T>(items: readonly T[], size: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function populate(admin: TugboatClient, count: number): Promise<{ name: string; type: string }[]> {
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  const names = Array.from({ length: count }, (_, i) => `svc-${i}`);
  const headless = (i: number): boolean => i % 10 === 9;
  await inBatches(names, 32, async (name) => {
    const i = Number(name.slice(4));
    await admin.create(service(NS, name, { ...(headless(i) ? { clusterIP: 'None' } : {}), ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }));
    if (headless(i)) {
      const ips = [1, 2, 3].map((k) => `198.18.${100 + Math.floor(i / 250)}.${(i % 250) + k}`);
      await admin.create(slice(NS, name, `${name}-x`, ips.map((ip, k) => ({ ip, hostname: `${name}-${k}` })), [{ name: 'http', port: 8080 }]));
      const p = await admin.create(pod(NS, `${name}-pod`, undefined) as KubeObject);
      await admin.updateStatus({ ...p, status: { phase: 'Running', podIP: ips[0], podIPs: [{ ip: ips[0] }] } });
    }
  });
  const podNames = names.filter((_, i) => headless(i)).map((n) => {
    const i = Number(n.slice(4));
    return `198-18-${100 + Math.floor(i / 250)}-${(i % 250) + 1}`;
  });
  // 50 queries per round, in the mix's proportions, cycling through the names.
  const queries: { name: string; type: string }[] = [];
  for (let r = 0; r < Math.max(count, podNames.length * 3); r++) {
    const svc = names[r % names.length]!;
    const podName = podNames[r % Math.max(1, podNames.length)];
    const k = r % 50;
    if (k < 30) queries.push({ name: `${svc}.${NS}.svc.cluster.local`, type: 'A' });
    else if (k < 40) queries.push({ name: `${svc}.${NS}.${NS}.svc.cluster.local`, type: 'A' });
    else if (k < 44) queries.push({ name: `_http._tcp.${svc}.${NS}.svc.cluster.local`, type: 'SRV' });
    else if (k < 47) queries.push({ name: `${svc}.${NS}.svc.cluster.local`, type: 'AAAA' });
    else if (podName) queries.push({ name: `${podName}.${NS}.pod.cluster.local`, type: 'A' });
    else queries.push({ name: `${svc}.${NS}.svc.cluster.local`, type: 'A' });
  }
  return queries;
}

function startDns(kubeconfig: string, cpuProf: string): Promise<{ proc: ChildProcess; dns: string; http: string; output: () => string }> {
  const node = [process.execPath, ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf] : []), BIN,
    '--kubeconfig', kubeconfig, '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--advertise-address', '127.0.0.1'];
  const cmd = [...pin(1), ...node];
  const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  return waitFor('tugboat-dns to serve', () => {
    if (proc.exitCode !== null) throw new Error(`tugboat-dns exited: ${out}`);
    return /serving DNS on (\S+) .*\/readyz on (\S+);/.test(out);
  }, 15_000, 25).then(() => {
    const m = /serving DNS on (\S+) .*\/readyz on (\S+);/.exec(out)!;
    return { proc, dns: m[1]!, http: m[2]!, output: () => out };
  });
}

async function cpuSeconds(http: string): Promise<number> {
  const text = await (await fetch(`http://${http}/metrics`)).text();
  const m = /^process_cpu_seconds_total (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Runs the load generator; reads the server's CPU seconds when it starts and stops measuring. */
function runLoad(cmd: readonly string[], http: string): Promise<{ stdout: string; cpu: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd[0]!, cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let err = '';
    let startCpu: Promise<number> | undefined;
    let stopCpu: Promise<number> | undefined;
    let startAt = 0;
    let stopAt = 0;
    proc.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!startCpu && stdout.includes('measuring\n')) { startAt = Date.now(); startCpu = cpuSeconds(http); }
      if (!stopCpu && stdout.includes('measured\n')) { stopAt = Date.now(); stopCpu = cpuSeconds(http); }
    });
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0 || !startCpu || !stopCpu) return reject(new Error(`load generator failed (${code}): ${err}`));
      void Promise.all([startCpu, stopCpu]).then(([a, b]) => resolve({ stdout, cpu: (b - a) / ((stopAt - startAt) / 1000) }), reject);
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (!etcdAvailable()) throw new Error('bench:dns needs etcd (Debian: etcd-server)');
  const etcd = await startEtcd();
  const api = await startApiServerInProcess(etcd.endpoint);
  let dns: Awaited<ReturnType<typeof startDns>> | undefined;
  try {
    const admin = api.client();
    const t0 = Date.now();
    const queries = await populate(admin, args.services);
    console.log(`bench:dns: ${args.services} Services in namespace ${NS} (${Math.floor(args.services / 10)} headless with 3 endpoints and a pod) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const kubeconfig = api.pki.kubeconfig(api.address, await api.pki.user(USER_KUBE_DNS), 'kube-dns');
    dns = await startDns(kubeconfig, args.cpuProf);
    const http = dns.http;
    await waitFor('tugboat-dns to be ready', async () => (await fetch(`http://${http}/readyz`)).status === 200, 15_000, 50);
    const pinned = pin(1).length ? 'pinned to core 1 (taskset -c 1)' : 'not pinned (no taskset, or one core)';
    console.log(`bench:dns: tugboat-dns on ${dns.dns}, ${pinned}; load generator ${pin(0).length ? 'on core 0' : 'unpinned'}, UDP, ${args.inflight} in flight, ${queries.length} distinct questions`);

    const dir = mkdtempSync(join(os.tmpdir(), 'tugboat-dns-bench-'));
    const file = join(dir, 'queries.json');
    writeFileSync(file, JSON.stringify(queries));
    const warmup = 2;
    const gen = [...pin(0), process.execPath, LOADGEN, '--server', dns.dns, '--queries', file, '--seconds', String(args.seconds), '--warmup', String(warmup), '--inflight', String(args.inflight)];
    const { stdout, cpu } = await runLoad(gen, http);
    const r = JSON.parse(stdout.trim().split('\n').pop()!) as LoadResult;
    const qps = r.answered / r.seconds;
    console.log(`queries/s  ${Math.round(qps)}  (${r.answered} answered in ${r.seconds.toFixed(1)} s; ${r.lost} lost)`);
    console.log(`latency    p50 ${r.p50ms.toFixed(3)} ms  p99 ${r.p99ms.toFixed(3)} ms  max ${r.maxms.toFixed(1)} ms`);
    console.log(`answers    ${r.noerror} with records, ${r.nodata} NODATA, ${r.nxdomain} NXDOMAIN, ${r.other} other rcodes, ${r.truncated} truncated`);
    console.log(`server CPU ${(cpu * 100).toFixed(0)}% of its core while measured: ${Math.round(qps / cpu)} queries/s per core-second`);
    console.log(`result: ${Math.round(qps)} queries/s on one core (goal 20000) — ${qps >= 20_000 ? 'met' : 'NOT met'}`);
    if (r.other > 0 || r.noerror === 0 || r.nxdomain === 0) throw new Error('unexpected answers: every query of the mix should be answered, NODATA or NXDOMAIN');
  } finally {
    if (dns) {
      const exited = new Promise((r) => dns!.proc.once('exit', r));
      dns.proc.kill('SIGTERM');
      await exited;
      if (args.cpuProf) console.log(`bench:dns: CPU profile of tugboat-dns written to ${args.cpuProf}`);
    }
    await api.stop();
    await etcd.destroy();
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(`bench:dns: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
