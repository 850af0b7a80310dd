// Builds a busybox image offline (Debian's busybox-static, no internet needed) and pushes it
// to a registry: what `npm run demo:oci` runs on a machine that has no image to pull.
//
//   node test/dist/tools/push-busybox-image.js 127.0.0.1:5000/demo/busybox:1
//
// The image is the one the tests use (test/src/harness/images.ts): two layers, sh as Cmd.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOciImage, busyboxAvailable, busyboxImageSpec, pushImage, skopeoAvailable } from '../harness/images.js';

function main(argv: readonly string[]): number {
  const ref = argv[0];
  if (argv.length !== 1 || !ref || !/^[^/]+\/.+:[\w.-]+$/.test(ref)) {
    process.stderr.write('usage: push-busybox-image.js HOST:PORT/REPOSITORY:TAG\n');
    return 2;
  }
  if (!busyboxAvailable()) { process.stderr.write('push-busybox-image: /bin/busybox (Debian package busybox-static) is missing\n'); return 1; }
  if (!skopeoAvailable()) { process.stderr.write('push-busybox-image: skopeo (Debian package skopeo) is missing\n'); return 1; }
  const dir = mkdtempSync(join(tmpdir(), 'tugboat-image-'));
  try {
    buildOciImage(join(dir, 'layout'), 'latest', busyboxImageSpec());
    pushImage(join(dir, 'layout'), 'latest', ref);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`pushed ${ref}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`push-busybox-image: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
