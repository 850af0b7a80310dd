import test from 'ava';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buildTar, busyboxBaseLayer, busyboxSecondLayer, busyboxAvailable, type TarEntry } from '@tugboat/test';
import { readTar } from './tar.js';
import { applyLayer, resolveInRoot, cleanComponents } from './unpack.js';

const isRoot = process.getuid?.() === 0;

function apply(entries: TarEntry[], root: string): ReturnType<typeof applyLayer> {
  return applyLayer(readTar(Readable.from([buildTar(entries)])), root);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'unpack-test-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('paths never climb out of the root', (t) => {
  t.deepEqual(cleanComponents('../../etc/./passwd'), ['etc', 'passwd']);
  t.deepEqual(cleanComponents('/a/b/../c/'), ['a', 'c']);
});

test('layers applied in order: whiteouts, opaque directories, hard links, owners and modes', async (t) => {
  if (!busyboxAvailable()) {
    t.log('skipped: busybox-static is not installed');
    t.pass();
    return;
  }
  await withDir(async (root) => {
    await apply(busyboxBaseLayer(), root);
    t.true(existsSync(join(root, 'etc/whiteout-me')));
    t.true(existsSync(join(root, 'etc/opaque/from-layer-1')));
    t.is(readlinkSync(join(root, 'bin/sh')), 'busybox');
    t.is(statSync(join(root, 'bin/busybox')).mode & 0o7777, 0o755);
    t.is(statSync(join(root, 'tmp')).mode & 0o7777, 0o1777);

    const res = await apply(busyboxSecondLayer(), root);
    t.is(res.whiteouts, 2);
    t.false(existsSync(join(root, 'etc/whiteout-me')), 'plain whiteout removes the lower file');
    t.false(existsSync(join(root, 'etc/opaque/from-layer-1')), 'opaque marker hides lower content');
    t.false(existsSync(join(root, 'etc/opaque/sub')), 'opaque marker hides lower directories');
    t.is(readFileSync(join(root, 'etc/opaque/from-layer-2'), 'utf8'), 'layer 2\n', 'the layer’s own entries stay');
    t.true(existsSync(join(root, 'etc/passwd')), 'siblings stay');
    t.is(statSync(join(root, 'usr/share/hardlink-a')).ino, statSync(join(root, 'usr/share/hardlink-b')).ino);
    t.is(statSync(join(root, 'usr/share/hardlink-a')).nlink, 2);
    t.is(statSync(join(root, 'usr/share/setuid')).mode & 0o7777, 0o4755);
    t.is(statSync(join(root, 'home/user/owned')).mode & 0o7777, 0o640);
    t.is(readlinkSync(join(root, 'usr/share/link-to-passwd')), '/etc/passwd');
    if (isRoot) {
      t.is(statSync(join(root, 'home/user/owned')).uid, 1000);
      t.is(statSync(join(root, 'home/user')).gid, 1000);
      t.is(statSync(join(root, 'home/user')).mode & 0o7777, 0o750);
    }
  });
});

test('whiteouts never remove what the same layer wrote, in any order', (t) => withDir(async (root) => {
  await apply([{ type: 'dir', path: 'd' }, { type: 'file', path: 'd/old', content: 'lower' }], root);
  await apply([
    { type: 'dir', path: 'd' },
    { type: 'file', path: 'd/new', content: 'mine' },
    { type: 'file', path: 'd/.wh..wh..opq', content: '' },
    { type: 'file', path: 'x', content: 'mine' },
    { type: 'file', path: '.wh.x', content: '' },
  ], root);
  t.false(existsSync(join(root, 'd/old')));
  t.is(readFileSync(join(root, 'd/new'), 'utf8'), 'mine');
  t.is(readFileSync(join(root, 'x'), 'utf8'), 'mine');
}));

test('an entry replaces whatever type was there', (t) => withDir(async (root) => {
  await apply([
    { type: 'dir', path: 'a' }, { type: 'file', path: 'a/child', content: '1' },
    { type: 'file', path: 'b', content: 'file' },
    { type: 'symlink', path: 'c', target: 'b' },
  ], root);
  await apply([
    { type: 'file', path: 'a', content: 'now a file' },
    { type: 'dir', path: 'b' },
    { type: 'file', path: 'c', content: 'now a file too' },
  ], root);
  t.is(readFileSync(join(root, 'a'), 'utf8'), 'now a file');
  t.true(statSync(join(root, 'b')).isDirectory());
  t.false(lstatSync(join(root, 'c')).isSymbolicLink());
}));

test('a hostile layer cannot write outside its root', (t) => withDir(async (dir) => {
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  await apply([
    { type: 'symlink', path: 'escape', target: outside },
    { type: 'symlink', path: 'up', target: '../../../../..' + outside },
    { type: 'dir', path: 'd' },
  ], root);
  await apply([
    { type: 'file', path: 'escape/pwned', content: 'x' },
    { type: 'file', path: 'up/pwned2', content: 'x' },
    { type: 'file', path: '../../outside-file', content: 'x' },
    { type: 'hardlink', path: 'd/h', target: 'escape/pwned' },
  ], root);
  t.false(existsSync(join(outside, 'pwned')));
  t.false(existsSync(join(outside, 'pwned2')));
  t.false(existsSync(join(dir, 'outside-file')));
  // They landed inside, re-rooted.
  t.true(existsSync(join(root, outside, 'pwned')));
  t.true(existsSync(join(root, 'outside-file')));
  t.is(await resolveInRoot(root, 'escape/x', true), join(root, outside, 'x'));
}));
