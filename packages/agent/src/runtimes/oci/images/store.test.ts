// The image store against a real registry (Debian's docker-registry on a loopback port),
// with images built from busybox-static and pushed by skopeo.
import anyTest, { type TestFn } from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startRegistry, registryAvailable, skopeoAvailable, busyboxAvailable, buildOciImage, buildOciIndexImage, buildOciArchive,
  busyboxImageSpec, pushImage, hostArchitecture, type RegistryHandle, type BuiltImage,
} from '@tugboat/test';
import { ImageStore, ImagePullError, selectImagesForGc, type ImageRecord } from './store.js';
import { mountOverlay, unmount } from '../../../system/mounts.js';

interface Ctx {
  registry: RegistryHandle;
  work: string;
  image: BuiltImage;
  index: BuiltImage & { indexDigest: string };
}

const test = anyTest as TestFn<Ctx>;
const missing = [
  !registryAvailable() && 'docker-registry',
  !skopeoAvailable() && 'skopeo',
  !busyboxAvailable() && 'busybox-static',
].filter(Boolean);
const skipReason = missing.length ? `needs ${missing.join(', ')} (Debian packages)` : undefined;
const maybe = skipReason ? test.skip : test.serial;
if (skipReason) console.log(`image store tests skipped: ${skipReason}`);

test.before(async (t) => {
  if (skipReason) return;
  const work = mkdtempSync(join(tmpdir(), 'store-test-'));
  const registry = await startRegistry();
  const layout = join(work, 'layout');
  const image = buildOciImage(layout, '1', busyboxImageSpec());
  pushImage(layout, '1', `${registry.host}/test/busybox:1`);
  pushImage(layout, '1', `${registry.host}/test/busybox:2`);
  pushImage(layout, '1', `${registry.host}/test/busybox-docker:1`, { format: 'v2s2' });
  const indexLayout = join(work, 'index-layout');
  const index = buildOciIndexImage(indexLayout, 'multi', busyboxImageSpec());
  pushImage(indexLayout, 'multi', `${registry.host}/test/busybox-multi:1`, { all: true });
  t.context = { registry, work, image, index };
});

test.after.always(async (t) => {
  if (skipReason || !t.context.registry) return;
  await t.context.registry.destroy();
  rmSync(t.context.work, { recursive: true, force: true });
});

async function openStore(t: { context: Ctx }, opts: Partial<Parameters<typeof ImageStore.open>[0]> = {}): Promise<ImageStore> {
  const dir = mkdtempSync(join(t.context.work, 'store-'));
  return ImageStore.open({ dir, ...opts });
}

/** Runs `fn` on the image's root filesystem as a container would see it. */
async function withRootfs(store: ImageStore, rec: ImageRecord, fn: (root: string) => void): Promise<void> {
  const { snapshotter, cwd, lower } = store.rootfsLayers(rec);
  if (snapshotter === 'copy') return fn(join(cwd, lower[0]!));
  const base = mkdtempSync(join(tmpdir(), 'rootfs-'));
  const [upper, work, merged] = ['upper', 'work', 'merged'].map((d) => join(base, d)) as [string, string, string];
  for (const d of [upper, work, merged]) mkdirSync(d);
  await mountOverlay({ lower, upper, work, target: merged, cwd });
  try {
    fn(merged);
  } finally {
    await unmount(merged);
    rmSync(base, { recursive: true, force: true });
  }
}

function checkBusyboxRootfs(t: { is: (a: unknown, b: unknown, m?: string) => void; true: (v: boolean, m?: string) => void; false: (v: boolean, m?: string) => void }, root: string): void {
  t.true(statSync(join(root, 'bin/busybox')).isFile(), 'busybox is there');
  t.is(statSync(join(root, 'bin/busybox')).size, statSync('/bin/busybox').size);
  t.false(existsSync(join(root, 'etc/whiteout-me')), 'whiteout applied');
  t.false(existsSync(join(root, 'etc/opaque/from-layer-1')), 'opaque directory applied');
  t.false(existsSync(join(root, 'etc/opaque/sub')), 'opaque directory hides lower subdirectories');
  t.true(existsSync(join(root, 'etc/opaque/from-layer-2')));
  t.true(existsSync(join(root, 'etc/passwd')));
  t.is(statSync(join(root, 'usr/share/hardlink-a')).ino, statSync(join(root, 'usr/share/hardlink-b')).ino, 'hard link kept');
  t.is(statSync(join(root, 'usr/share/setuid')).mode & 0o7777, 0o4755, 'setuid mode kept');
  if (process.getuid?.() === 0) t.is(statSync(join(root, 'home/user/owned')).uid, 1000, 'owner kept');
}

function fileDigest(path: string): string {
  return `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
}

maybe('pulls an OCI image: digests verified, layers unpacked with whiteouts, config kept', async (t) => {
  const store = await openStore(t);
  const ref = `${t.context.registry.host}/test/busybox:1`;
  const rec = await store.pull(ref);
  t.is(rec.reference, ref);
  t.is(rec.manifestDigest, t.context.image.manifestDigest);
  t.is(rec.configDigest, t.context.image.configDigest);
  t.deepEqual(rec.layers.map((l) => l.digest), t.context.image.layers.map((l) => l.digest));
  t.deepEqual(rec.config.config?.Cmd, ['sh']);
  t.true(rec.config.config?.Env?.includes('IMAGE_VAR=from-image'));
  for (const l of rec.layers) t.is(fileDigest(join(store.dir, 'blobs/sha256', l.digest.slice(7))), l.digest);
  t.log(`snapshotter: ${store.snapshotter}`);
  await withRootfs(store, rec, (root) => checkBusyboxRootfs(t, root));
  t.is(store.get('127.0.0.1:' + t.context.registry.host.split(':')[1] + '/test/busybox:1')?.manifestDigest, rec.manifestDigest);
});

maybe('Docker v2 schema 2 images, images by digest and image indexes (this node’s platform)', async (t) => {
  const store = await openStore(t);
  const host = t.context.registry.host;
  const docker = await store.pull(`${host}/test/busybox-docker:1`);
  t.deepEqual(docker.layers.map((l) => l.digest), t.context.image.layers.map((l) => l.digest));
  t.is(docker.layers[0]!.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');

  const byDigest = await store.pull(`${host}/test/busybox@${t.context.image.manifestDigest}`);
  t.is(byDigest.manifestDigest, t.context.image.manifestDigest);

  const multi = await store.pull(`${host}/test/busybox-multi:1`);
  t.is(multi.indexDigest, t.context.index.indexDigest);
  t.is(multi.manifestDigest, t.context.index.manifestDigest);
  t.is(multi.config.architecture, hostArchitecture());
  await withRootfs(store, multi, (root) => {
    t.false(existsSync(join(root, 'wrong-platform')));
    checkBusyboxRootfs(t, root);
  });
});

maybe('a missing image fails with the registry’s own message', async (t) => {
  const store = await openStore(t);
  const err = await t.throwsAsync(store.pull(`${t.context.registry.host}/test/nope:1`), { instanceOf: ImagePullError });
  t.is(err?.reason, 'ErrImagePull');
  t.is(err?.code, 'NotFound');
  t.regex(err?.message ?? '', /failed to pull image ".*test\/nope:1": .*manifest unknown/);
  const unreachable = await t.throwsAsync(store.pull('127.0.0.1:1/test/busybox:1'), { instanceOf: ImagePullError });
  t.is(unreachable?.code, 'Unavailable');
  const invalid = await t.throwsAsync(store.pull('Bad/Name'), { instanceOf: ImagePullError });
  t.is(invalid?.reason, 'InvalidImageName');
});

maybe('ten concurrent pulls of one image download each layer once', async (t) => {
  const store = await openStore(t);
  const { registry, image } = t.context;
  const before = registry.blobGetLines().length;
  // Two tags of the same image: deduplication must hold per blob, not only per reference.
  const refs = Array.from({ length: 10 }, (_, i) => `${registry.host}/test/busybox:${i % 2 === 0 ? '1' : '2'}`);
  const records = await Promise.all(refs.map((r) => store.ensureImage(r, 'Always')));
  t.true(records.every((r) => r.manifestDigest === image.manifestDigest));
  const gets = registry.blobGetLines().slice(before);
  for (const l of image.layers) {
    t.is(gets.filter((g) => g.endsWith(l.digest)).length, 1, `layer ${l.digest} fetched once`);
    t.is(store.downloadCounts.get(l.digest), 1);
  }
  // Present now: another Always pull fetches the manifest only.
  await store.ensureImage(refs[0]!, 'Always');
  t.is(registry.blobGetLines().length, before + gets.length);
  // Unpacked once: one snapshot per layer.
  t.is(readdirSync(join(store.dir, 'snapshots')).length, image.layers.length);
});

maybe('pull policies: Never, IfNotPresent, Always', async (t) => {
  const store = await openStore(t);
  const ref = `${t.context.registry.host}/test/busybox:2`;
  const never = await t.throwsAsync(store.ensureImage(ref, 'Never'), { instanceOf: ImagePullError });
  t.is(never?.reason, 'ErrImageNeverPull');
  t.regex(never?.message ?? '', /is not present with pull policy of Never/);
  await store.ensureImage(ref, 'IfNotPresent');
  const manifestGets = (): number => (t.context.registry.log().match(/"GET \/v2\/test\/busybox\/manifests\/2 /g) ?? []).length;
  const n = manifestGets();
  await store.ensureImage(ref, 'IfNotPresent');
  await store.ensureImage(ref, 'Never');
  t.is(manifestGets(), n, 'a present image is not looked up again');
  await store.ensureImage(ref, 'Always');
  t.is(manifestGets(), n + 1);
});

maybe('local oci: layouts and oci-archive: files', async (t) => {
  const store = await openStore(t);
  const layout = t.context.image.layoutDir;
  const rec = await store.pull(`oci:${layout}:1`);
  t.is(rec.manifestDigest, t.context.image.manifestDigest);
  await withRootfs(store, rec, (root) => checkBusyboxRootfs(t, root));

  const archive = join(t.context.work, 'busybox.tar');
  buildOciArchive(layout, archive);
  const fromArchive = await store.pull(`oci-archive:${archive}:1`);
  t.is(fromArchive.manifestDigest, t.context.image.manifestDigest);
  t.deepEqual(readdirSync(join(store.dir, 'tmp')), [], 'the unpacked archive is gone');
  const multi = await store.pull(`oci:${t.context.index.layoutDir}:multi`);
  t.is(multi.manifestDigest, t.context.index.manifestDigest);
  await t.throwsAsync(store.pull(`oci:${layout}:nope`), { message: /no image tagged "nope"/ });
});

maybe('without overlayfs, layers are full copies with the same content', async (t) => {
  const store = await openStore(t, { snapshotter: 'copy' });
  t.is(store.snapshotter, 'copy');
  const rec = await store.pull(`${t.context.registry.host}/test/busybox:1`);
  await withRootfs(store, rec, (root) => checkBusyboxRootfs(t, root));
});

maybe('a blob whose content does not match its digest is refused', async (t) => {
  const { registry, work } = t.context;
  // An image of its own, so corrupting its layer in the registry's storage harms no other test.
  const layout = join(work, 'corrupt-layout');
  const built = buildOciImage(layout, '1', { layers: [[{ type: 'file', path: 'random', content: randomBytes(64) }]] });
  pushImage(layout, '1', `${registry.host}/test/corrupt:1`);
  const hex = built.layers[0]!.digest.slice(7);
  const data = join(registry.storageDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data');
  const bytes = readFileSync(data);
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
  writeFileSync(data, bytes);
  const store = await openStore(t);
  const err = await t.throwsAsync(store.pull(`${registry.host}/test/corrupt:1`), { instanceOf: ImagePullError });
  t.regex(err?.message ?? '', /does not match/);
  t.false(existsSync(join(store.dir, 'blobs/sha256', hex)));
});

maybe('image GC removes unused images above the high-water mark, keeps used ones and shared layers', async (t) => {
  // A disk far above the high-water mark: every unused image must go.
  let used = 0.5e12;
  const store = await openStore(t, { diskUsage: async () => ({ totalBytes: 1e12, usedBytes: used }) });
  const host = t.context.registry.host;
  const a = await store.pull(`${host}/test/busybox:1`);
  const b = await store.pull(`${host}/test/busybox:2`);
  const d = await store.pull(`${host}/test/busybox-multi:1`);
  t.is(a.manifestDigest, b.manifestDigest);

  t.deepEqual((await store.garbageCollect(new Set())).removed, [], 'below the high-water mark nothing goes');
  used = 0.99e12;
  const res = await store.garbageCollect(new Set([b.reference]));
  t.deepEqual(res.removed.sort(), [a.reference, d.reference].sort());
  t.is(store.get(a.reference), undefined);
  t.truthy(store.get(b.reference), 'in-use image kept');
  // busybox:2 shares every blob of busybox:1, so they all stay.
  for (const l of b.layers) t.true(existsSync(join(store.dir, 'blobs/sha256', l.digest.slice(7))));
  await withRootfs(store, store.get(b.reference)!, (root) => checkBusyboxRootfs(t, root));
  t.false(existsSync(join(store.dir, 'blobs/sha256', d.indexDigest!.slice(7))), 'the index blob went');
});

test('GC picks the least recently used unused images until under the low-water mark', (t) => {
  const img = (reference: string, size: number, lastUsedAt: string): ImageRecord => ({
    reference, size, lastUsedAt, pulledAt: lastUsedAt, manifestDigest: '', configDigest: '', layers: [], config: {},
  });
  const images = [img('a', 10, '2024-01-03'), img('b', 10, '2024-01-01'), img('c', 10, '2024-01-02'), img('d', 10, '2024-01-04')];
  const t80 = { highPercent: 85, lowPercent: 80 };
  t.deepEqual(selectImagesForGc(images, new Set(), { totalBytes: 100, usedBytes: 84 }, t80), []);
  t.deepEqual(selectImagesForGc(images, new Set(), { totalBytes: 100, usedBytes: 95 }, t80), ['b', 'c']);
  t.deepEqual(selectImagesForGc(images, new Set(['b']), { totalBytes: 100, usedBytes: 95 }, t80), ['c', 'a']);
  t.deepEqual(selectImagesForGc(images, new Set(['a', 'b', 'c', 'd']), { totalBytes: 100, usedBytes: 99 }, t80), []);
});
