// Container log files in the CRI format, the one kubelet reads and conmon writes, so the
// process runtime and the later oci runtime share one reader:
//
//   2024-05-01T10:00:00.123Z stdout F a whole line
//   2024-05-01T10:00:00.124Z stderr P the first 16 KiB of a very long line…
//
// <RFC 3339 time> <stream> <tag> <content>: tag F ends a line, P is a piece of one that goes
// on in the next record (long lines, or output that ended without a newline).
// This module imports only node built-ins: the container monitor uses it too.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { sleep } from '@tugboat/api/sleep';

export type LogStream = 'stdout' | 'stderr';

/** A line longer than this is written as several P records. */
export const MAX_RECORD_CONTENT = 16 * 1024;

export interface LogRecord {
  time: string;
  stream: LogStream;
  partial: boolean;
  content: Buffer;
}

export function formatRecord(time: Date, stream: LogStream, partial: boolean, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${time.toISOString()} ${stream} ${partial ? 'P' : 'F'} `), content, Buffer.from('\n')]);
}

/** One record (without its trailing newline); undefined when the line is not a CRI record. */
export function parseRecord(line: Buffer): LogRecord | undefined {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return undefined;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return undefined;
  const s3 = line.indexOf(0x20, s2 + 1);
  const tagEnd = s3 < 0 ? line.length : s3;
  const stream = line.subarray(s1 + 1, s2).toString();
  const tag = line.subarray(s2 + 1, tagEnd).toString();
  if ((stream !== 'stdout' && stream !== 'stderr') || (tag !== 'F' && tag !== 'P')) return undefined;
  return {
    time: line.subarray(0, s1).toString(),
    stream,
    partial: tag === 'P',
    content: s3 < 0 ? Buffer.alloc(0) : line.subarray(s3 + 1),
  };
}

/**
 * Splits a stream's output into records: one F per complete line, P pieces for lines longer
 * than MAX_RECORD_CONTENT and for what is left when the stream ends without a newline.
 */
export class RecordSplitter {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly stream: LogStream, private readonly write: (record: Buffer) => void, private readonly now: () => Date = () => new Date()) {}

  push(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    for (;;) {
      const nl = data.indexOf(0x0a);
      if (nl < 0) break;
      this.emitLine(data.subarray(0, nl), false);
      data = data.subarray(nl + 1);
    }
    while (data.length > MAX_RECORD_CONTENT) {
      this.write(formatRecord(this.now(), this.stream, true, data.subarray(0, MAX_RECORD_CONTENT)));
      data = data.subarray(MAX_RECORD_CONTENT);
    }
    this.pending = Buffer.from(data);
  }

  /** The stream ended: what is left has no newline, so it is a P record. */
  end(): void {
    if (this.pending.length) this.write(formatRecord(this.now(), this.stream, true, this.pending));
    this.pending = Buffer.alloc(0);
  }

  private emitLine(line: Buffer, partial: boolean): void {
    let rest = line;
    while (rest.length > MAX_RECORD_CONTENT) {
      this.write(formatRecord(this.now(), this.stream, true, rest.subarray(0, MAX_RECORD_CONTENT)));
      rest = rest.subarray(MAX_RECORD_CONTENT);
    }
    this.write(formatRecord(this.now(), this.stream, partial, rest));
  }
}

export interface ReadLogOptions {
  tailLines?: number;
  since?: Date;
  timestamps?: boolean;
  follow?: boolean;
  signal?: AbortSignal;
  /** With follow: true once nothing more will be written (the container exited). */
  isDone?: () => boolean | Promise<boolean>;
  /** How often a follow looks for new data. */
  pollMs?: number;
}

const READ_CHUNK = 64 * 1024;

/**
 * What a user sees of a CRI log file: each record's content (plus a newline for F records),
 * optionally prefixed by its timestamp. Yields batches of whole lines. With follow it waits
 * for more until isDone() says the writer has finished and everything is read, or the
 * signal aborts.
 */
export async function* readCriLog(path: string, opts: ReadLogOptions = {}): AsyncGenerator<Buffer> {
  const pollMs = opts.pollMs ?? 200;
  let fh: FileHandle | undefined;
  try {
    // The file appears with the container's first output; a follow waits for it.
    for (;;) {
      fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; });
      if (fh) break;
      if (!opts.follow || opts.signal?.aborted) return;
      if (await isDone(opts)) {
        fh = await open(path, 'r').catch(() => undefined);
        if (!fh) return;
        break;
      }
      await sleep(pollMs, opts.signal);
    }
    const sinceMs = opts.since?.getTime();
    // Without follow, the answer is the file as it was when asked: a container that keeps
    // writing must not push more lines into a --tail answer.
    const sizeAtStart = (await fh.stat()).size;
    const limit = opts.follow ? Number.POSITIVE_INFINITY : sizeAtStart;
    let pos = opts.tailLines !== undefined ? await tailStart(fh, sizeAtStart, Math.max(0, opts.tailLines)) : 0;
    let carry: Buffer = Buffer.alloc(0);
    let finishing = false;
    let draining = false;
    const buf = Buffer.alloc(READ_CHUNK);
    for (;;) {
      if (opts.signal?.aborted) return;
      const want = Math.min(READ_CHUNK, limit - pos);
      const { bytesRead } = want > 0 ? await fh.read(buf, 0, want, pos) : { bytesRead: 0 };
      if (bytesRead > 0) {
        pos += bytesRead;
        let data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : Buffer.from(buf.subarray(0, bytesRead));
        const out: Buffer[] = [];
        for (;;) {
          const nl = data.indexOf(0x0a);
          if (nl < 0) break;
          const rec = parseRecord(data.subarray(0, nl));
          data = data.subarray(nl + 1);
          if (!rec) continue;
          if (sinceMs !== undefined && Date.parse(rec.time) < sinceMs) continue;
          if (opts.timestamps) out.push(Buffer.from(`${rec.time} `));
          out.push(rec.content);
          if (!rec.partial) out.push(NEWLINE);
        }
        carry = Buffer.from(data);
        if (out.length) yield Buffer.concat(out);
        continue;
      }
      // At the end of what is written so far.
      if (!opts.follow || finishing) return;
      // The log manager rotated the file (logs/container-log-manager.ts): the writer is told
      // to reopen the path right after the rename. Wait one poll for the rest of the old
      // file, read it, then go on with the new one from its start (kubelet's follow does too).
      if (await replaced(path, fh)) {
        if (!draining) { draining = true; await sleep(pollMs, opts.signal); continue; }
        const next = await open(path, 'r').catch(() => undefined);
        if (next) {
          await fh.close();
          fh = next;
          pos = 0;
          carry = Buffer.alloc(0);
          draining = false;
          continue;
        }
      }
      // Check "done" before one last read, so output written just before the exit is not lost.
      if (await isDone(opts)) { finishing = true; continue; }
      await sleep(pollMs, opts.signal);
    }
  } finally {
    await fh?.close();
  }
}

const NEWLINE = Buffer.from('\n');

/** Whether `path` now names another file than the one open (renamed away by rotation). */
async function replaced(path: string, fh: FileHandle): Promise<boolean> {
  const [now, open] = await Promise.all([stat(path).catch(() => undefined), fh.stat()]);
  return now !== undefined && now.ino !== open.ino;
}

async function isDone(opts: ReadLogOptions): Promise<boolean> {
  return opts.isDone ? await opts.isDone() : true;
}

/** The offset where the last n lines of the file start. */
async function tailStart(fh: FileHandle, size: number, n: number): Promise<number> {
  if (n === 0) return size;
  let end = size;
  // The file's final newline ends the last line; it does not start another.
  let skipLast = true;
  let count = 0;
  const buf = Buffer.alloc(READ_CHUNK);
  while (end > 0) {
    const start = Math.max(0, end - READ_CHUNK);
    const { bytesRead } = await fh.read(buf, 0, end - start, start);
    for (let i = bytesRead - 1; i >= 0; i--) {
      if (buf[i] !== 0x0a) { skipLast = false; continue; }
      if (skipLast) { skipLast = false; continue; }
      count++;
      if (count === n) return start + i + 1;
    }
    end = start;
  }
  return 0;
}


/** Size of a log file, 0 when it does not exist. */
export async function logSize(path: string): Promise<number> {
  try { return (await stat(path)).size; } catch { return 0; }
}
