// Bundles the built tctl (packages/ctl/dist/main.js, what bin/tctl.js runs) and everything
// it imports into one ES module, packages/ctl/dist-bundle/tctl.mjs, for images: a container
// then needs only node, this file and proto/tugboat/v1/*.proto. @tugboat/api loads the proto
// files at run time from beside the bundle (proto.ts: `<bundle dir>/../proto` or
// `/proto`), so lay an image out as /tctl/tctl.mjs + /proto/tugboat/v1/*.proto.
//
// bin/tctl.js runs this bundle too, whenever it is current: one file starts in about half the
// time of the ~350 modules of dist/ it is made from. What it was made from is listed beside it
// (tctl.inputs.json, paths from the repository root), so bin/tctl.js can tell it is current.
//
// Run after `npx tsc -b`: node scripts/build-tctl-bundle.mjs
import { build } from 'esbuild';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'packages/ctl/dist/main.js');
const outfile = join(root, 'packages/ctl/dist-bundle/tctl.mjs');

try {
  statSync(entry);
} catch {
  console.error(`error: ${relative(root, entry)} is missing: build first (npx tsc -b)`);
  process.exit(1);
}

const { version } = JSON.parse(readFileSync(join(root, 'packages/ctl/package.json'), 'utf8'));

const result = await build({
  absWorkingDir: root,
  metafile: true,
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // gRPC, protobufjs and the rest are CommonJS: inside an ES module they need a `require`.
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  // The bundle has no package.json beside it to read the version from (commands/version.ts).
  define: { __TCTL_VERSION__: JSON.stringify(`v${version}`) },
  legalComments: 'none',
  logLevel: 'warning',
});

// Written after the bundle, so a bundle without a list of its own is never taken as current.
writeFileSync(join(dirname(outfile), 'tctl.inputs.json'), `${JSON.stringify(Object.keys(result.metafile.inputs).sort(), null, 0)}\n`);

console.log(`${relative(root, outfile)}: ${(statSync(outfile).size / 1024 / 1024).toFixed(1)} MiB`);
