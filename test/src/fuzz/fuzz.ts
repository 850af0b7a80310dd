// The manifest fuzzer: fast-check cases (mutations.ts) sent through apply, as users send them,
// to a real API server process on a real etcd, each outcome checked:
//
//   case ──render──▶ YAML/JSON text ──┬─ grpc:      tctl's parser ─▶ client.apply
//                                     ├─ tctl:      `tctl apply -f - -o json` in this process
//                                     ├─ rest-json: POST the collection
//                                     └─ rest-yaml: PATCH application/apply-patch+yaml
//        ──▶ stored (get returns what apply answered, only its own key changed in etcd)
//          | rejected (one line naming the object; no key under /registry/ changed)
//        ──▶ the server process is alive and /readyz answers 200; no request outlived its timeout.
import { request, Agent } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ApiError, kindInfo, type KubeObject, type TugboatClient } from '@tugboat/api';
import { startEtcd, type EtcdHandle } from '../harness/etcd.js';
import { startApiServerProcess, type ApiServerProcess } from '../harness/apiserver.js';
import { fuzzCase, render, type FuzzCase } from './mutations.js';
import { FUZZ_NAMESPACE, SEEDS } from './seeds.js';

export interface FuzzOptions {
  readonly count: number;
  readonly seed: number;
  /** Per-request deadline, ms: a request that takes longer is a hang. */
  readonly timeoutMs?: number;
  readonly log?: (line: string) => void;
}

export interface FuzzSummary {
  cases: number;
  stored: number;
  rejected: number;
  crashes: number;
  partialWrites: number;
  multiLineErrors: number;
  hangs: number;
  /** Rejections that name neither the object nor its kind, stored objects a get disagrees with, parser throws. */
  other: number;
  seed: number;
  /** Rejections matching KNOWN_MULTILINE: reported, not failed. */
  known: number;
  /** What fast-check shrank the first failure to, rendered; undefined when all passed. */
  counterexample?: string;
  failure?: string;
  /** The first failing case as generated, before shrinking. */
  firstFailure?: string;
}

export function summaryLine(s: FuzzSummary): string {
  return `fuzz: ${s.cases} cases, ${s.stored} stored, ${s.rejected} rejected, ${s.crashes} crashes, ${s.partialWrites} partial writes, ${s.multiLineErrors} multi-line errors (seed ${s.seed})`
    + (s.hangs || s.other ? `\nfuzz: also ${s.hangs} hangs, ${s.other} other violations` : '')
    + (s.known ? `\nfuzz: ${s.known} known multi-line errors left as they are (server-side apply conflict lists)` : '');
}

type Violation = 'crash' | 'partial' | 'multiline' | 'hang' | 'other';

class CaseFailure extends Error {
  constructor(readonly violation: Violation, message: string) {
    super(message);
  }
}

interface Outcome { stored: number; rejected: number }

interface CtlModule {
  parseManifestText(text: string, source: string): { source: string; index: number; object?: KubeObject; error?: string }[];
  runCli(argv: readonly string[], io: object): Promise<number>;
}

/** The API server child process, its etcd, and the clients the fuzzer talks through. */
class Target {
  private constructor(
    readonly etcd: EtcdHandle,
    readonly api: ApiServerProcess,
    readonly client: TugboatClient,
    readonly ctl: CtlModule,
    readonly home: string,
    private readonly agent: Agent,
    readonly timeoutMs: number,
  ) {}

  static async start(timeoutMs: number): Promise<Target> {
    const etcd = await startEtcd();
    let api: ApiServerProcess | undefined;
    try {
      api = await startApiServerProcess(etcd.endpoint);
      const a = api;
      const ready = async (): Promise<boolean> => (await a.http('/readyz').catch(() => ({ status: 0 }))).status === 200;
      for (let i = 0; i < 200 && !(await ready()); i++) await new Promise((r) => setTimeout(r, 50));
      // Loaded at run time: @tugboat/test must not depend on ctl at build time (ctl's tests depend on it).
      const specifier = '@tugboat/ctl';
      const ctl = (await import(specifier)) as CtlModule;
      const { TugboatClient: Client } = await import('@tugboat/api');
      const client = new Client(api.address, { timeoutMs, credentials: api.pki.credentials() });
      const home = mkdtempSync(join(tmpdir(), 'tugboat-fuzz-'));
      writeFileSync(join(home, 'config.json'), JSON.stringify({ server: api.address, kubeconfig: api.pki.kubeconfig(api.address, api.pki.admin, 'fuzz-admin') }));
      const tls = api.pki.credentials().tls;
      const agent = new Agent({ keepAlive: true, maxSockets: 4, ALPNProtocols: ['http/1.1'], ...(tls?.ca ? { ca: tls.ca } : {}), ...(tls?.cert ? { cert: tls.cert } : {}), ...(tls?.key ? { key: tls.key } : {}) });
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: FUZZ_NAMESPACE } });
      return new Target(etcd, api, client, ctl, home, agent, timeoutMs);
    } catch (e) {
      await api?.stop();
      await etcd.destroy();
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.client.close();
    this.agent.destroy();
    await this.api.stop();
    await this.etcd.destroy();
    rmSync(this.home, { recursive: true, force: true });
  }

  /** Restarts a dead or stuck API server process on the same ports. */
  async revive(): Promise<void> {
    await this.api.kill('SIGKILL');
    await this.api.restart();
    for (let i = 0; i < 200 && (await this.alive()); i++) await new Promise((r) => setTimeout(r, 50));
  }

  /** Every key under /registry/ with its mod revision, from etcd's JSON gateway. */
  async etcdKeys(): Promise<{ revision: string; keys: Map<string, string> }> {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const res = await fetch(`${this.etcd.endpoint}/v3/kv/range`, { method: 'POST', body: JSON.stringify({ key: b64('/registry/'), range_end: b64('/registry0'), keys_only: true }) });
    const body = await res.json() as { header: { revision: string }; kvs?: { key: string; mod_revision: string }[] };
    return { revision: body.header.revision, keys: new Map((body.kvs ?? []).map((kv) => [Buffer.from(kv.key, 'base64').toString(), kv.mod_revision])) };
  }

  /**
   * Crash: the process has exited, or /readyz does not answer 200 within the timeout. A probe
   * that failed in this process's own HTTP client (status 0: fetch's connect timer fired
   * while this process was busy, e.g. after tctl parsed a 60 MB manifest in-process under
   * load: seed 7, case 1981) is tried twice more, a second apart, before it counts.
   */
  async alive(): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      const p = this.api.process;
      if (p.exitCode !== null || p.signalCode !== null) return `the API server exited (${p.exitCode ?? p.signalCode}): ${this.api.output().trim().split('\n').slice(-6).join(' | ').slice(-1500)}`;
      const res = await Promise.race([
        this.api.http('/readyz').catch((e: unknown) => ({ status: 0, body: `${String(e)}${e instanceof Error && e.cause ? ` (${String(e.cause)})` : ''}` })),
        new Promise<{ status: number; body: string }>((r) => setTimeout(() => r({ status: -1, body: 'no answer' }), this.timeoutMs)),
      ]);
      if (res.status === 200) return undefined;
      if (res.status !== 0 || attempt >= 3) return `/readyz answered ${res.status}: ${res.body.slice(0, 200)}`;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }

  rest(method: string, path: string, body: string, contentType: string): Promise<{ status: number; text: string }> {
    const addr = this.api.address;
    const i = addr.lastIndexOf(':');
    return new Promise((resolve, reject) => {
      const req = request({
        host: addr.slice(0, i), port: Number(addr.slice(i + 1)), path, method, agent: this.agent, timeout: this.timeoutMs,
        headers: { accept: 'application/json', 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new CaseFailure('hang', `${method} ${path} took more than ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** What the API server writes by itself: each namespace's default ServiceAccount. */
const BACKGROUND_KEYS = /^\/registry\/serviceaccounts\/[^/]+\/default$/;

function keyOf(obj: KubeObject): string | undefined {
  const info = kindInfo(obj.kind ?? '');
  const m = obj.metadata;
  if (!info || !m?.name) return undefined;
  return info.namespaced ? `/registry/${info.resource}/${m.namespace}/${m.name}` : `/registry/${info.resource}/${m.name}`;
}

/**
 * Multi-line errors found and left on purpose, counted apart (FuzzSummary.known) rather than
 * failing: server-side apply's conflict list copies Kubernetes' text (one "- .field" line per
 * conflict, which kubectl users grep for). Whether to fold it into one line is a decision for
 * the API's owners, not the fuzzer.
 */
const KNOWN_MULTILINE = /^Apply failed with \d+ conflicts: conflicts with [^\n]*:(\n- [^\n]+)+$/;
let knownMultiline = 0;

function checkOneLine(where: string, message: string): void {
  if (KNOWN_MULTILINE.test(message)) { knownMultiline++; return; }
  if (/[\r\n]/.test(message)) throw new CaseFailure('multiline', `${where}: the error has ${message.split(/\r\n|\r|\n/).length} lines: ${JSON.stringify(message.slice(0, 500))}`);
  if (/^\s+at /m.test(message) || message.includes('node:internal')) throw new CaseFailure('other', `${where}: the error is a stack trace: ${message.slice(0, 300)}`);
}

/** A server-side rejection: one line, and an Invalid one names the kind and a field. */
function checkRejection(where: string, kind: string, reason: string, message: string): void {
  checkOneLine(where, message);
  if (reason === 'Timeout') throw new CaseFailure('hang', `${where}: ${message}`);
  if (reason === 'Unavailable' || reason === 'Internal' || reason === 'Unknown') throw new CaseFailure('crash', `${where}: the server failed (${reason}): ${message.slice(0, 300)}`);
  if (reason === 'Invalid' && !message.includes(kind)) throw new CaseFailure('other', `${where}: an Invalid error that does not name the ${kind}: ${message.slice(0, 300)}`);
}

const REST_REASONS: Record<number, string> = { 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType', 422: 'Invalid', 500: 'Internal', 503: 'Unavailable', 504: 'Timeout' };

async function runCase(t: Target, c: FuzzCase): Promise<Outcome> {
  const { text } = render(c);
  const before = await t.etcdKeys();
  const storedKeys: string[] = [];
  const outcome: Outcome = { stored: 0, rejected: 0 };
  const stored = async (answer: KubeObject, where: string): Promise<void> => {
    const info = kindInfo(answer.kind ?? '');
    const key = keyOf(answer);
    if (!info || !key) throw new CaseFailure('other', `${where}: apply answered an object without kind or name: ${JSON.stringify(answer).slice(0, 300)}`);
    const got = await t.client.get(info.resource, answer.metadata?.namespace ?? '', answer.metadata?.name ?? '');
    if (JSON.stringify(got) !== JSON.stringify(answer)) throw new CaseFailure('partial', `${where}: get returns other than what apply answered:\n  apply: ${JSON.stringify(answer).slice(0, 400)}\n  get:   ${JSON.stringify(got).slice(0, 400)}`);
    storedKeys.push(key);
    outcome.stored++;
  };

  switch (c.transport) {
    case 'grpc': {
      let docs: ReturnType<CtlModule['parseManifestText']>;
      try {
        docs = t.ctl.parseManifestText(text, 'STDIN');
      } catch (e) {
        throw new CaseFailure('crash', `tctl's manifest parser threw: ${String(e).slice(0, 300)}`);
      }
      for (const doc of docs) {
        const where = `document ${doc.index}`;
        if (doc.error !== undefined || !doc.object) {
          checkOneLine(where, doc.error ?? '');
          if (!doc.error?.startsWith(`STDIN (document ${doc.index}`)) throw new CaseFailure('other', `${where}: a parse error that does not say where: ${doc.error}`);
          outcome.rejected++;
          continue;
        }
        // Placement as tctl does it (commands/apply.ts placeObject): kind known, namespace defaulted.
        const obj = doc.object;
        const info = kindInfo(obj.kind ?? '');
        if (!info || info.apiVersion !== obj.apiVersion) { outcome.rejected++; continue; }
        const meta = obj.metadata;
        if (info.namespaced && meta && typeof meta === 'object' && !Array.isArray(meta) && !meta.namespace) meta.namespace = FUZZ_NAMESPACE;
        try {
          const res = await t.client.apply(obj);
          await stored(res.object, where);
        } catch (e) {
          if (e instanceof CaseFailure) throw e;
          if (!(e instanceof ApiError)) throw new CaseFailure('crash', `${where}: apply threw ${String(e).slice(0, 300)}`);
          checkRejection(where, info.kind, e.reason, e.message);
          outcome.rejected++;
        }
      }
      break;
    }
    case 'tctl': {
      let out = '';
      let err = '';
      let code: number;
      try {
        code = await t.ctl.runCli(['apply', '-f', '-', '-o', 'json'], {
          out: (s: string) => { out += s; }, err: (s: string) => { err += s; }, readStdin: async () => text,
          env: { TUGBOAT_HOME: t.home }, cwd: t.home, signal: new AbortController().signal,
        });
      } catch (e) {
        throw new CaseFailure('crash', `tctl apply threw: ${String(e).slice(0, 300)}`);
      }
      // Warnings (unknown fields dropped, …) are lines of their own; anything else is an error's second line.
      const lines = err.split('\n').filter(Boolean).filter((l) => !l.startsWith('Warning: '));
      const errors = lines.filter((l) => l.startsWith('error: '));
      for (const line of lines) {
        if (!line.startsWith('error: ')) throw new CaseFailure('multiline', `tctl printed a line that is neither an error nor a warning: ${JSON.stringify(line.slice(0, 300))}`);
        checkOneLine('tctl', line);
        if (/\b(Internal|Unavailable|timed out|deadline)\b/i.test(line)) throw new CaseFailure('crash', `tctl: ${line.slice(0, 300)}`);
      }
      if (code !== 0 && code !== 1) throw new CaseFailure('other', `tctl apply exited ${code}: ${err.slice(0, 300)}`);
      if ((code === 1) !== (errors.length > 0)) throw new CaseFailure('other', `tctl apply exited ${code} with ${errors.length} error lines`);
      const printed = out.trim() ? JSON.parse(out) as KubeObject & { items?: KubeObject[] } : undefined;
      const objects = !printed ? [] : printed.kind === 'List' ? printed.items ?? [] : [printed];
      for (const o of objects) await stored(o, 'tctl');
      outcome.rejected += errors.length;
      break;
    }
    case 'rest-json':
    case 'rest-yaml': {
      const info = kindInfo(c.kind)!;
      const base = `${info.group ? `/apis/${info.apiVersion}` : '/api/v1'}${info.namespaced ? `/namespaces/${FUZZ_NAMESPACE}` : ''}/${info.resource}`;
      const seedName = SEEDS[c.kind]?.metadata?.name ?? 'x';
      const name = /metadata:\n(?:  .*\n)*?  name: ([a-z0-9.-]{1,253})\n/.exec(text)?.[1] ?? seedName;
      const res = c.transport === 'rest-json'
        ? await t.rest('POST', base, text, 'application/json')
        : await t.rest('PATCH', `${base}/${encodeURIComponent(name)}?fieldManager=fuzz`, text, 'application/apply-patch+yaml');
      const where = `${c.transport === 'rest-json' ? 'POST' : 'PATCH'} ${base}`;
      if (res.status >= 200 && res.status < 300) {
        await stored(JSON.parse(res.text) as KubeObject, where);
      } else {
        let status: { message?: string; reason?: string } = {};
        try { status = JSON.parse(res.text) as typeof status; } catch { throw new CaseFailure('other', `${where}: ${res.status} without a Status: ${res.text.slice(0, 300)}`); }
        checkRejection(where, info.kind, status.reason ?? REST_REASONS[res.status] ?? String(res.status), status.message ?? '');
        outcome.rejected++;
      }
      break;
    }
  }

  const dead = await t.alive();
  if (dead) throw new CaseFailure('crash', dead);
  const after = await t.etcdKeys();
  if (after.revision !== before.revision) {
    const changed = [...new Set([...before.keys.keys(), ...after.keys.keys()])].filter((k) => before.keys.get(k) !== after.keys.get(k));
    // A stored Service takes its cluster IP (and node ports) from the allocators' ranges.
    const services = storedKeys.some((k) => k.startsWith('/registry/services/'));
    const stray = changed.filter((k) => !storedKeys.includes(k) && !(services && k.startsWith('/registry/ranges/')) && !BACKGROUND_KEYS.test(k));
    if (stray.length) throw new CaseFailure('partial', `keys changed that no stored object accounts for: ${stray.slice(0, 5).join(', ')} (stored: ${storedKeys.join(', ') || 'none'})`);
  }
  return outcome;
}

function describeCase(c: FuzzCase): string {
  const { text } = render(c);
  const shown = text.length > 1500 ? `${text.slice(0, 1500)}… (${text.length} chars in all)` : text;
  return `kind ${c.kind} via ${c.transport}, mutations ${JSON.stringify(c.mutations, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}\n--- text ---\n${shown}\n--- end ---`;
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzSummary> {
  const log = opts.log ?? (() => undefined);
  const target = await Target.start(opts.timeoutMs ?? 10_000);
  const s: FuzzSummary = { cases: 0, stored: 0, rejected: 0, crashes: 0, partialWrites: 0, multiLineErrors: 0, hangs: 0, other: 0, seed: opts.seed, known: 0 };
  knownMultiline = 0;
  // Counts cover the run up to the first failure; shrinking re-runs cases and is not counted.
  let counting = true;
  try {
    // No interruptAfterTimeLimit (nor fc.configureGlobal): all count cases run; a hang is caught per request.
    const result = await fc.check(fc.asyncProperty(fuzzCase(), async (c) => {
      try {
        const o = await runCase(target, c).catch(async (e: unknown) => {
          // A dead server fails every later case: restart it, so that shrinking finds the case that killed it.
          const dead = await target.alive();
          if (!dead) throw e;
          await target.revive();
          throw new CaseFailure('crash', `${dead} (after: ${e instanceof Error ? e.message : String(e)})`);
        });
        if (counting) { s.cases++; s.stored += o.stored; s.rejected += o.rejected; }
        if (counting && s.cases % 500 === 0) log(`fuzz: ${s.cases} cases…`);
      } catch (e) {
        if (counting) {
          s.cases++;
          const v = e instanceof CaseFailure ? e.violation : 'crash';
          if (v === 'crash') s.crashes++;
          else if (v === 'partial') s.partialWrites++;
          else if (v === 'multiline') s.multiLineErrors++;
          else if (v === 'hang') s.hangs++;
          else s.other++;
          counting = false;
          s.firstFailure = `${e instanceof Error ? e.message : String(e)}\n${describeCase(c)}`;
          log(`fuzz: case ${s.cases} failed; shrinking…\n${s.firstFailure}`);
        }
        throw e;
      }
    }), { numRuns: opts.count, seed: opts.seed, endOnFailure: false });
    if (result.failed && result.counterexample) {
      s.counterexample = describeCase(result.counterexample[0]);
      const err = result.errorInstance;
      s.failure = err instanceof Error ? err.message : String(err);
    }
  } finally {
    s.known = knownMultiline;
    await target.stop();
  }
  return s;
}

export function violations(s: FuzzSummary): number {
  return s.crashes + s.partialWrites + s.multiLineErrors + s.hangs + s.other;
}
