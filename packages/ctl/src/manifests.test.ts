import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifestText, readManifests } from './manifests.js';
import { CliError } from './errors.js';

const pod = (name: string): string => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: busybox\n`;

test('multi-document YAML: empty documents and comments are skipped, indexes kept', (t) => {
  const docs = parseManifestText(`# leading comment\n---\n${pod('a')}---\n---\n# only a comment\n---\n${pod('b')}`, 'x.yaml');
  t.deepEqual(docs.map((d) => [d.index, d.object?.metadata?.name]), [[1, 'a'], [4, 'b']]);
});

test('JSON, and Lists expand to their items', (t) => {
  const json = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [JSON.parse(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }))] });
  const docs = parseManifestText(json, 'x.json');
  t.is(docs.length, 1);
  t.is(docs[0]!.object?.kind, 'Namespace');
});

test('bad documents come back as errors naming the file and document; good ones survive', (t) => {
  const docs = parseManifestText(`${pod('a')}---\n- just\n- a list\n---\nmetadata:\n  name: nokind\n---\nkind: Pod\nmetadata: {name: noversion}\n---\nkey: [unclosed\n---\n${pod('b')}`, 'mixed.yaml');
  t.deepEqual(docs.map((d) => d.object?.metadata?.name ?? null), ['a', null, null, null, null, 'b']);
  t.is(docs[1]!.error, 'mixed.yaml (document 2): expected an object with apiVersion and kind, got a list');
  t.is(docs[2]!.error, 'mixed.yaml (document 3): object has no "kind"');
  t.is(docs[3]!.error, 'mixed.yaml (document 4): object has no "apiVersion"');
  t.regex(docs[4]!.error ?? '', /^mixed\.yaml \(document 5\): invalid YAML/);
  t.false((docs[4]!.error ?? '').includes('\n'));
});

test('a scalar document is an error, duplicate keys too', (t) => {
  t.regex(parseManifestText('hello', 's.yaml')[0]!.error ?? '', /got a string/);
  t.regex(parseManifestText('kind: Pod\nkind: Pod\n', 'd.yaml')[0]!.error ?? '', /invalid YAML/);
});

test('directories: .yaml/.yml/.json in name order; -R descends', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tctl-manifests-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'b.yaml'), pod('b'));
  writeFileSync(join(dir, 'a.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a' } }));
  writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'c.yml'), pod('c'));
  const opts = { cwd: dir, readStdin: async () => pod('stdin') };
  const flat = await readManifests(['.'], { ...opts, recursive: false });
  t.deepEqual(flat.map((d) => d.object?.metadata?.name), ['a', 'b']);
  const deep = await readManifests(['.', '-'], { ...opts, recursive: true });
  t.deepEqual(deep.map((d) => d.object?.metadata?.name), ['a', 'b', 'c', 'stdin']);
  t.is(deep[3]!.source, 'STDIN');
  await t.throwsAsync(readManifests(['missing.yaml'], { ...opts, recursive: false }), { instanceOf: CliError, message: 'the path "missing.yaml" does not exist' });
  await t.throwsAsync(readManifests([], { ...opts, recursive: false }), { instanceOf: CliError });
});

test('an alias inside the node it names is one line naming the document, not a JSON error', (t) => {
  const text = 'apiVersion: v1\nkind: Node\nmetadata: &meta\n  name: n\n  labels:\n    x-copy: *meta\n';
  const docs = parseManifestText(text, 'node.yaml');
  t.is(docs.length, 1);
  t.is(docs[0]!.error, 'node.yaml (document 1): an alias refers to a node that contains it: the document is not a tree');
});
