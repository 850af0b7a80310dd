// Generates the TypeScript types of the gRPC services from proto/ (never written by hand).
// Runs before every build; the output is git-ignored.
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'packages/api/src/generated');
const protos = readdirSync(join(root, 'proto/tugboat/v1'))
  .filter((f) => f.endsWith('.proto'))
  .map((f) => `tugboat/v1/${f}`);

rmSync(outDir, { recursive: true, force: true });
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/@grpc/proto-loader/build/bin/proto-loader-gen-types.js'),
    // File names first: -I takes every argument after it.
    ...protos,
    '--grpcLib=@grpc/grpc-js',
    '--longs=String',
    '--enums=String',
    '--defaults',
    '--oneofs',
    '--importFileExtension=.js',
    `--outDir=${outDir}`,
    `-I=${join(root, 'proto')}`,
  ],
  { stdio: 'inherit' },
);
