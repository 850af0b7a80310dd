import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_RECORD_CONTENT, RecordSplitter, formatRecord, parseRecord, readCriLog } from './cri-log.js';

const dir = mkdtempSync(join(tmpdir(), 'tugboat-cri-log-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const at = (s: number): Date => new Date(Date.UTC(2024, 4, 1, 10, 0, s));

async function read(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const b of it) parts.push(b);
  return Buffer.concat(parts).toString();
}

test('records round-trip', (t) => {
  const rec = formatRecord(at(1), 'stderr', false, Buffer.from('oops: a b c'));
  t.is(rec.toString(), '2024-05-01T10:00:01.000Z stderr F oops: a b c\n');
  const parsed = parseRecord(rec.subarray(0, rec.length - 1));
  t.deepEqual({ ...parsed, content: parsed?.content.toString() }, { time: '2024-05-01T10:00:01.000Z', stream: 'stderr', partial: false, content: 'oops: a b c' });
  t.is(parseRecord(Buffer.from('garbage')), undefined);
  t.is(parseRecord(Buffer.from('2024 stdout F '))?.content.length, 0);
});

test('the splitter makes one F record per line, P pieces for long lines and the unterminated end', (t) => {
  const out: string[] = [];
  const s = new RecordSplitter('stdout', (b) => out.push(b.toString()), () => at(0));
  s.push(Buffer.from('one\ntw'));
  s.push(Buffer.from('o\nthree'));
  s.push(Buffer.from('x'.repeat(MAX_RECORD_CONTENT + 5) + '\n'));
  s.push(Buffer.from('end'));
  s.end();
  const tags = out.map((l) => l.split(' ')[2]);
  t.deepEqual(tags, ['F', 'F', 'P', 'F', 'P']);
  t.true(out[0]?.endsWith(' one\n'));
  t.true(out[1]?.endsWith(' two\n'));
  t.true(out[2]?.endsWith(` three${'x'.repeat(MAX_RECORD_CONTENT - 5)}\n`));
  t.true(out[4]?.endsWith(' end\n'));
});

test('reading: content only, P pieces joined, tail counts lines from the end, since filters by time, timestamps', async (t) => {
  const path = join(dir, 'a.log');
  writeFileSync(path, Buffer.concat([
    formatRecord(at(1), 'stdout', false, Buffer.from('l1')),
    formatRecord(at(2), 'stderr', true, Buffer.from('l2-part1-')),
    formatRecord(at(2), 'stderr', false, Buffer.from('part2')),
    formatRecord(at(3), 'stdout', false, Buffer.from('l3')),
  ]));
  t.is(await read(readCriLog(path)), 'l1\nl2-part1-part2\nl3\n');
  t.is(await read(readCriLog(path, { tailLines: 1 })), 'l3\n');
  t.is(await read(readCriLog(path, { since: at(3) })), 'l3\n');
  t.is(await read(readCriLog(path, { tailLines: 1, timestamps: true })), '2024-05-01T10:00:03.000Z l3\n');
  t.is(await read(readCriLog(join(dir, 'missing.log'))), '');
});

test('follow waits for the file and for more, and ends once done and drained', async (t) => {
  const path = join(dir, 'b.log');
  let done = false;
  const seen: string[] = [];
  const reading = (async () => {
    for await (const b of readCriLog(path, { follow: true, pollMs: 20, isDone: () => done })) seen.push(b.toString());
  })();
  await new Promise((r) => setTimeout(r, 60));
  writeFileSync(path, formatRecord(at(1), 'stdout', false, Buffer.from('first')));
  await new Promise((r) => setTimeout(r, 80));
  t.deepEqual(seen, ['first\n']);
  appendFileSync(path, formatRecord(at(2), 'stdout', false, Buffer.from('last')));
  done = true;
  await reading;
  t.is(seen.join(''), 'first\nlast\n');
});
