// The load generator of bench:dns, in a process of its own: UDP queries from a list, `inflight`
// of them outstanding at all times, each answer timed. Prints one JSON line of figures.
//
//   node load-generator.js --server HOST:PORT --queries FILE [--seconds 10] [--warmup 2] [--inflight 256]
//
// FILE is a JSON array of { name, type }. It prints `measuring` and `measured` around the
// measured window (the bench reads the server's CPU time there), then the JSON figures. Queries go round the list; a query unanswered after
// a second counts as lost and another takes its place.
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseHostPort } from '@tugboat/api';
import { encodeQuestion } from '../test-client.js';

export interface LoadResult {
  readonly seconds: number;
  readonly sent: number;
  readonly answered: number;
  readonly noerror: number;
  readonly nodata: number;
  readonly nxdomain: number;
  readonly other: number;
  readonly lost: number;
  readonly truncated: number;
  readonly p50ms: number;
  readonly p99ms: number;
  readonly maxms: number;
}

interface Args { server: string; queries: string; seconds: number; warmup: number; inflight: number }

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { server: '', queries: '', seconds: 10, warmup: 2, inflight: 256 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value = ''] = [argv[i], argv[i + 1]];
    switch (flag) {
      case '--server': a.server = value; break;
      case '--queries': a.queries = value; break;
      case '--seconds': a.seconds = Number(value); break;
      case '--warmup': a.warmup = Number(value); break;
      case '--inflight': a.inflight = Number(value); break;
      default: throw new Error(`load-generator: unknown flag ${JSON.stringify(flag)}`);
    }
  }
  if (!a.server || !a.queries) throw new Error('load-generator: --server and --queries are required');
  return a;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { host, port } = parseHostPort(args.server, '--server');
  const list = JSON.parse(readFileSync(args.queries, 'utf8')) as { name: string; type: string }[];
  // Encoded once; each send copies one and writes its ID.
  const encoded = list.map((q) => encodeQuestion({ name: q.name, type: q.type, id: 0 }));
  // The server's address is a literal: skip dgram's dns.lookup on every send.
  const sock = createSocket({ type: 'udp4', lookup: (address, _options, cb) => cb(null, address, 4) });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  try { sock.setRecvBufferSize(4 * 1024 * 1024); sock.setSendBufferSize(4 * 1024 * 1024); } catch { /* rmem_max caps it */ }

  // Outstanding queries by ID: when sent (ms); NaN = free.
  const sentAt = new Float64Array(65_536).fill(NaN);
  let nextId = 0;
  let next = 0;
  let measuring = false;
  let stopping = false;
  const latencies: number[] = [];
  const counts = { sent: 0, answered: 0, noerror: 0, nodata: 0, nxdomain: 0, other: 0, lost: 0, truncated: 0 };

  const sendOne = (): void => {
    // Find a free ID (there are far more IDs than queries in flight).
    while (!Number.isNaN(sentAt[nextId]!)) nextId = (nextId + 1) & 0xffff;
    const id = nextId;
    nextId = (nextId + 1) & 0xffff;
    const msg = Buffer.from(encoded[next]!);
    next = (next + 1) % encoded.length;
    msg.writeUInt16BE(id, 0);
    sentAt[id] = performance.now();
    if (measuring) counts.sent++;
    sock.send(msg, port, host);
  };

  sock.on('message', (msg) => {
    const now = performance.now();
    const id = msg.readUInt16BE(0);
    const at = sentAt[id]!;
    if (Number.isNaN(at)) return; // answered after it was given up
    sentAt[id] = NaN;
    if (measuring) {
      latencies.push(now - at);
      counts.answered++;
      const rcode = msg[3]! & 0xf;
      const ancount = msg.readUInt16BE(6);
      if (msg[2]! & 0x02) counts.truncated++;
      if (rcode === 0 && ancount > 0) counts.noerror++;
      else if (rcode === 0) counts.nodata++;
      else if (rcode === 3) counts.nxdomain++;
      else counts.other++;
    }
    if (!stopping) sendOne();
  });

  // Lost datagrams (a full socket buffer) would shrink the window: replace them.
  const sweep = setInterval(() => {
    const old = performance.now() - 1_000;
    for (let id = 0; id < sentAt.length; id++) {
      const at = sentAt[id]!;
      if (!Number.isNaN(at) && at < old) {
        sentAt[id] = NaN;
        if (measuring) counts.lost++;
        if (!stopping) sendOne();
      }
    }
  }, 250);

  for (let i = 0; i < args.inflight; i++) sendOne();
  await new Promise((r) => setTimeout(r, args.warmup * 1000));
  // The bench samples the server's CPU at these two lines.
  process.stdout.write('measuring\n');
  measuring = true;
  const started = performance.now();
  await new Promise((r) => setTimeout(r, args.seconds * 1000));
  measuring = false;
  process.stdout.write('measured\n');
  const seconds = (performance.now() - started) / 1000;
  stopping = true;
  clearInterval(sweep);
  await new Promise((r) => setTimeout(r, 200));
  sock.close();

  const sorted = Float64Array.from(latencies).sort();
  const result: LoadResult = {
    seconds, ...counts,
    p50ms: quantile(sorted, 0.5), p99ms: quantile(sorted, 0.99), maxms: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
