import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buildTar } from '@tugboat/test';
import { readTar, parsePax, TarFormatError, type TarHeader } from './tar.js';

async function entries(data: Buffer, chunk = 100): Promise<Array<TarHeader & { content: string }>> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk));
  const out: Array<TarHeader & { content: string }> = [];
  for await (const e of readTar(Readable.from(chunks))) {
    const parts: Buffer[] = [];
    for await (const b of e.body) parts.push(b);
    out.push({ ...e.header, content: Buffer.concat(parts).toString() });
  }
  return out;
}

test('reads ustar entries of every kind, whatever the chunk size', async (t) => {
  const tar = buildTar([
    { type: 'dir', path: 'etc', mode: 0o755 },
    { type: 'file', path: 'etc/passwd', content: 'root:x:0:0\n', mode: 0o644, uid: 0, gid: 0 },
    { type: 'file', path: 'home/user/big', content: 'x'.repeat(1500), mode: 0o4750, uid: 1000, gid: 100 },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
    { type: 'hardlink', path: 'etc/passwd-', target: 'etc/passwd' },
  ]);
  for (const chunk of [1, 7, 512, 100_000]) {
    const got = await entries(tar, chunk);
    t.deepEqual(got.map((e) => [e.path, e.type]), [
      ['etc/', 'dir'], ['etc/passwd', 'file'], ['home/user/big', 'file'], ['bin/sh', 'symlink'], ['etc/passwd-', 'hardlink'],
    ]);
    t.is(got[1]!.content, 'root:x:0:0\n');
    t.is(got[2]!.content.length, 1500);
    t.is(got[2]!.mode, 0o4750);
    t.is(got[2]!.uid, 1000);
    t.is(got[2]!.gid, 100);
    t.is(got[3]!.linkpath, 'busybox');
    t.is(got[4]!.linkpath, 'etc/passwd');
  }
});

test('a consumer may skip bodies', async (t) => {
  const tar = buildTar([
    { type: 'file', path: 'a', content: 'a'.repeat(3000) },
    { type: 'file', path: 'b', content: 'bee' },
  ]);
  const names: string[] = [];
  for await (const e of readTar(Readable.from([tar]))) names.push(e.header.path);
  t.deepEqual(names, ['a', 'b']);
});

test('long paths come from PAX headers', async (t) => {
  const long = `${'d'.repeat(120)}/${'f'.repeat(110)}`;
  const got = await entries(buildTar([{ type: 'file', path: long, content: 'x' }]));
  t.is(got.length, 1);
  t.is(got[0]!.path, long);
});

test('reads archives GNU tar writes (GNU long names, PAX, ustar prefixes)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tar-test-'));
  try {
    const src = join(dir, 'src');
    const deep = join(src, 'a'.repeat(60), 'b'.repeat(60));
    mkdirSync(deep, { recursive: true });
    writeFileSync(join(deep, 'c'.repeat(90)), 'deep file\n');
    symlinkSync('../'.repeat(2) + 'x'.repeat(120), join(src, 'longlink'));
    for (const format of ['gnu', 'posix', 'ustar']) {
      if (format === 'ustar') rmSync(join(src, 'longlink'));
      const file = join(dir, `${format}.tar`);
      const res = spawnSync('tar', [`--format=${format}`, '-C', src, '-cf', file, '.'], { encoding: 'utf8' });
      t.is(res.status, 0, res.stderr);
      const got = await entries(readFileSync(file), 4096);
      const f = got.find((e) => e.path.endsWith('c'.repeat(90)));
      t.truthy(f, `${format}: deep file found`);
      t.is(f!.path, `./${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(90)}`);
      t.is(f!.content, 'deep file\n');
      if (format !== 'ustar') t.is(got.find((e) => e.path === './longlink')?.linkpath, '../../' + 'x'.repeat(120));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt or truncated archives are errors', async (t) => {
  const tar = buildTar([{ type: 'file', path: 'a', content: 'hello' }]);
  const bad = Buffer.from(tar);
  bad[10] = 0x41;
  await t.throwsAsync(() => entries(bad), { instanceOf: TarFormatError, message: /checksum/ });
  await t.throwsAsync(() => entries(tar.subarray(0, 600)), { instanceOf: TarFormatError });
  await t.throwsAsync(() => entries(Buffer.from('not a tar file at all'.padEnd(512, '!'))), { instanceOf: TarFormatError });
});

test('PAX records parse with multibyte lengths', (t) => {
  const rec = (k: string, v: string): string => {
    const body = ` ${k}=${v}\n`;
    let n = body.length + 2;
    while (String(n).length + Buffer.byteLength(body) !== n) n++;
    return `${n}${body}`;
  };
  const data = Buffer.from(rec('path', 'ä/b') + rec('SCHILY.xattr.user.x', 'y'));
  t.deepEqual(parsePax(data), { path: 'ä/b', 'SCHILY.xattr.user.x': 'y' });
});
