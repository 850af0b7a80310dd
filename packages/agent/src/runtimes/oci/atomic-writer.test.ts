// kubelet's AtomicWriter layout on a real directory: versions, the ..data swap, user-visible
// links through it, modes, removal of what a new version no longer has, and no write at all
// when nothing changed.
import test from 'ava';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validatePayloadPath, writeAtomic } from './atomic-writer.js';

function tmp(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'atomic-writer-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const file = (path: string, text: string, mode = 0o644): { path: string; content: Buffer; mode: number } => ({ path, content: Buffer.from(text), mode });

test('a version directory, ..data pointing at it, and every name a relative link through ..data', async (t) => {
  const dir = tmp(t);
  t.true(await writeAtomic(dir, [file('token', 'T1', 0o600), file('ca.crt', 'CA'), file('sub/dir/x', 'deep')], new Date(Date.UTC(2024, 4, 1, 10, 0, 0))));
  const version = readlinkSync(join(dir, '..data'));
  t.regex(version, /^\.\.2024_05_01_10_00_00\.\d{9}$/);
  t.is(readlinkSync(join(dir, 'token')), '..data/token');
  t.is(readlinkSync(join(dir, 'sub')), '..data/sub');
  t.is(readFileSync(join(dir, 'token'), 'utf8'), 'T1');
  t.is(readFileSync(join(dir, 'sub/dir/x'), 'utf8'), 'deep');
  t.is(statSync(join(dir, 'token')).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'ca.crt')).mode & 0o777, 0o644);
  t.deepEqual(readdirSync(dir).sort(), ['..data', version, 'ca.crt', 'sub', 'token'].sort());
});

test('an update swaps the whole set: new contents, names gone from the payload removed, the old version deleted', async (t) => {
  const dir = tmp(t);
  await writeAtomic(dir, [file('token', 'T1'), file('ca.crt', 'CA'), file('old', 'bye')]);
  const v1 = readlinkSync(join(dir, '..data'));
  const tokenLink = lstatSync(join(dir, 'token')).ino;
  t.true(await writeAtomic(dir, [file('token', 'T2'), file('ca.crt', 'CA')]));
  const v2 = readlinkSync(join(dir, '..data'));
  t.not(v2, v1);
  t.is(readFileSync(join(dir, 'token'), 'utf8'), 'T2');
  t.is(lstatSync(join(dir, 'token')).ino, tokenLink, 'the user-visible link itself is not replaced');
  t.deepEqual(readdirSync(dir).sort(), ['..data', v2, 'ca.crt', 'token'].sort());
});

test('the same payload again writes nothing', async (t) => {
  const dir = tmp(t);
  await writeAtomic(dir, [file('a', '1'), file('b/c', '2')]);
  const v1 = readlinkSync(join(dir, '..data'));
  t.false(await writeAtomic(dir, [file('b/c', '2'), file('a', '1')]));
  t.is(readlinkSync(join(dir, '..data')), v1);
  // A mode change is a change.
  t.true(await writeAtomic(dir, [file('a', '1', 0o600), file('b/c', '2')]));
  t.is(statSync(join(dir, 'a')).mode & 0o777, 0o600);
});

test('paths as kubelet validates them', async (t) => {
  t.is(validatePayloadPath('token'), undefined);
  t.is(validatePayloadPath('a/b'), undefined);
  t.regex(validatePayloadPath('/etc/passwd') ?? '', /must be relative/);
  t.regex(validatePayloadPath('a/../../b') ?? '', /must not contain '\.\.'/);
  t.regex(validatePayloadPath('..data') ?? '', /must not start with '\.\.'/);
  t.regex(validatePayloadPath('') ?? '', /must not be empty/);
  await t.throwsAsync(writeAtomic(tmp(t), [file('../x', 'no')]), { message: /must not contain/ });
});
