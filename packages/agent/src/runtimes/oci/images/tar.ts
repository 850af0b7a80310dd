// A streaming tar reader (POSIX ustar, PAX extended headers and GNU long names — the
// formats image layers come in). Entries are yielded one at a time with their body as a
// stream, so a layer of any size is unpacked with bounded memory.

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo';

export interface TarHeader {
  /** The path as written in the archive (PAX and GNU long names applied). */
  path: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (may have a fraction from PAX). */
  mtime: number;
  /** Symlink target or hard link target path. */
  linkpath: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.*` records. */
  xattrs: Record<string, string>;
}

export interface TarEntry {
  header: TarHeader;
  /** The entry's content; it need not be read (the reader skips what is left). */
  body: AsyncIterable<Buffer>;
}

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

const BLOCK = 512;
const EMPTY = Buffer.alloc(0);

/** Pulls exact byte counts out of an async stream of chunks. */
class ByteReader {
  private buf: Buffer = EMPTY;
  private done = false;
  private readonly it: AsyncIterator<Buffer | Uint8Array | string>;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    if (this.done) return false;
    const r = await this.it.next();
    if (r.done) {
      this.done = true;
      return false;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  /** Exactly n bytes; undefined at a clean end of stream; throws when it ends midway. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (!(await this.fill())) {
        if (this.buf.length === 0) return undefined;
        throw new TarFormatError('the archive ends in the middle of a block');
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next n bytes as they arrive. */
  async *stream(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw new TarFormatError('the archive ends in the middle of an entry');
      const take = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      left -= take;
      yield out;
    }
  }

  async drain(): Promise<void> {
    this.buf = EMPTY;
    while (await this.fill()) this.buf = EMPTY;
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function cString(b: Buffer, start: number, len: number): string {
  const field = b.subarray(start, start + len);
  const nul = field.indexOf(0);
  return field.subarray(0, nul < 0 ? len : nul).toString('utf8');
}

/** Octal ASCII, or GNU base-256 when the first byte has its high bit set. */
function numeric(b: Buffer, start: number, len: number): number {
  const field = b.subarray(start, start + len);
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    // 0xff marks a negative number: none of our fields may be negative.
    if (field[0] === 0xff) throw new TarFormatError('negative base-256 number in a header');
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    if (!Number.isSafeInteger(n)) throw new TarFormatError('a header number is too large');
    return n;
  }
  const text = field.toString('ascii').replace(/[\0 ]+$/g, '').replace(/^[\0 ]+/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`bad octal number "${text}" in a header`);
  return parseInt(text, 8);
}

function checksumOk(h: Buffer): boolean {
  const want = numeric(h, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 32 : h[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return want === unsigned || want === signed;
}

/** PAX records: `LEN key=value\n`, LEN counting the whole record. */
export function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const len = parseInt(data.subarray(pos, space).toString('ascii'), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > data.length) throw new TarFormatError('malformed PAX record');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

function typeOf(flag: string): TarEntryType | undefined {
  switch (flag) {
    case '0': case '\0': case '': case '7': return 'file';
    case '1': return 'hardlink';
    case '2': return 'symlink';
    case '3': return 'char';
    case '4': return 'block';
    case '5': return 'dir';
    case '6': return 'fifo';
    default: return undefined;
  }
}

/**
 * Reads entries until the end-of-archive marker. The caller must finish with one entry
 * (or ignore its body) before asking for the next.
 */
export async function* readTar(source: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<TarEntry> {
  const reader = new ByteReader(source);
  let pax: Record<string, string> = {};
  let globalPax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const h = await reader.read(BLOCK);
      if (!h) return; // some writers omit the end-of-archive blocks
      if (h.every((b) => b === 0)) {
        // Read to the end anyway (record padding, the second zero block): whoever hashes
        // the stream (a layer's diff ID) must see every byte.
        await reader.drain();
        return;
      }
      if (!checksumOk(h)) throw new TarFormatError('bad header checksum: this is not a tar archive, or it is corrupt');
      const flag = String.fromCharCode(h[156]!);
      const size = numeric(h, 124, 12);
      const padded = Math.ceil(size / BLOCK) * BLOCK;

      // Metadata entries describe the entry that follows.
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > 16 * 1024 * 1024) throw new TarFormatError('an extended header is larger than 16 MiB');
        const data = padded === 0 ? EMPTY : (await reader.read(padded))!.subarray(0, size);
        if (flag === 'x') pax = { ...pax, ...parsePax(data) };
        else if (flag === 'g') globalPax = { ...globalPax, ...parsePax(data) };
        else if (flag === 'L') longName = cString(data, 0, data.length);
        else longLink = cString(data, 0, data.length);
        continue;
      }
      const type = typeOf(flag);
      if (type === undefined) {
        if (flag === 'S') throw new TarFormatError('GNU sparse files are not supported');
        // Unknown types (vendor extensions) are skipped, as GNU tar does with a warning.
        for await (const _ of reader.stream(padded)) { /* skip */ }
        pax = {};
        longName = longLink = undefined;
        continue;
      }
      const all = { ...globalPax, ...pax };
      if (Object.keys(all).some((k) => k.startsWith('GNU.sparse.'))) throw new TarFormatError('GNU sparse files are not supported');

      const magic = h.subarray(257, 263).toString('latin1');
      const isUstar = magic === 'ustar\0';
      let path = cString(h, 0, 100);
      if (isUstar) {
        const prefix = cString(h, 345, 155);
        if (prefix) path = `${prefix}/${path}`;
      }
      if (longName !== undefined) path = longName;
      if (all.path !== undefined) path = all.path;
      let linkpath = cString(h, 157, 100);
      if (longLink !== undefined) linkpath = longLink;
      if (all.linkpath !== undefined) linkpath = all.linkpath;

      const header: TarHeader = {
        path,
        type,
        mode: numeric(h, 100, 8) & 0o7777,
        uid: all.uid !== undefined ? Number(all.uid) : numeric(h, 108, 8),
        gid: all.gid !== undefined ? Number(all.gid) : numeric(h, 116, 8),
        size: all.size !== undefined ? Number(all.size) : size,
        mtime: all.mtime !== undefined ? Number(all.mtime) : numeric(h, 136, 12),
        linkpath,
        devmajor: type === 'char' || type === 'block' ? numeric(h, 329, 8) : 0,
        devminor: type === 'char' || type === 'block' ? numeric(h, 337, 8) : 0,
        xattrs: Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith('SCHILY.xattr.')).map(([k, v]) => [k.slice('SCHILY.xattr.'.length), v])),
      };
      pax = {};
      longName = longLink = undefined;
      if (!Number.isSafeInteger(header.size) || header.size < 0) throw new TarFormatError(`entry ${path}: bad size`);
      // Only regular files carry content: other types are header-only whatever their size
      // field says (Go's archive/tar reads them the same way).
      const bodySize = type === 'file' ? header.size : 0;
      const bodyPadded = Math.ceil(bodySize / BLOCK) * BLOCK;
      let consumed = 0;
      const body = (async function* () {
        for await (const chunk of reader.stream(bodySize)) {
          consumed += chunk.length;
          yield chunk;
        }
      })();
      yield { header, body };
      // Whatever the consumer left unread, and the padding, is skipped here.
      await body.return(undefined);
      for await (const _ of reader.stream(bodySize - consumed + (bodyPadded - bodySize))) { /* skip */ }
    }
  } finally {
    await reader.close();
  }
}
