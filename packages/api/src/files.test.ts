import test from 'ava';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readdirOrEmpty, readJson, writeJsonAtomic } from './files.js';

test('writeJsonAtomic replaces the file whole and leaves no temporary behind; readJson reads it back', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-files-'));
  const path = join(dir, 'record.json');
  writeJsonAtomic(path, { a: 1 });
  writeJsonAtomic(path, { a: 2, b: [1, 2] });
  t.deepEqual(readJson(path), { a: 2, b: [1, 2] });
  t.deepEqual(readdirSync(dir), ['record.json']);
});

test('readJson of a missing or torn file, and readdirOrEmpty of a missing directory, are empty answers', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-files-'));
  writeFileSync(join(dir, 'torn.json'), '{"a":');
  t.is(readJson(join(dir, 'torn.json')), undefined);
  t.is(readJson(join(dir, 'missing.json')), undefined);
  t.deepEqual(readdirOrEmpty(join(dir, 'nope')), []);
  t.deepEqual(readdirOrEmpty(dir), ['torn.json']);
});
