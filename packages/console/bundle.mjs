// Bundles the console for browsers: src/web/main.tsx and what it imports (Preact, and the
// pure quantity parser of @tugboat/api) into dist/bundle/app.js, with index.html and
// console.css beside it. The API server serves that folder at /console/ (src/server).
// esbuild: one well-kept, dependency-free tool already in the workspace for the tctl bundle,
// fast enough to run on every `npm run build`. Nothing is fetched at run time.
//
// Run from the repository root after `npx tsc -b` (which type-checks the same sources):
//   node packages/console/bundle.mjs
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = dirname(fileURLToPath(import.meta.url));
const out = join(pkg, 'dist', 'bundle');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: [join(pkg, 'src/web/main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'linked',
  logLevel: 'warning',
});
for (const file of ['index.html', 'console.css']) copyFileSync(join(pkg, 'src/web/static', file), join(out, file));
