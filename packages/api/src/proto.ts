// Loads proto/tugboat/v1/*.proto at run time with @grpc/proto-loader. The options match the
// flags of scripts/gen-proto-types.mjs, so the generated types describe what is loaded.
import { loadPackageDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProtoGrpcType as ObjectsProto } from './generated/objects.js';
import type { ProtoGrpcType as PodsProto } from './generated/pods.js';
import type { ProtoGrpcType as AuthProto } from './generated/auth.js';

export type ProtoGrpcType = ObjectsProto & PodsProto & AuthProto;

function protoRoot(): string {
  // packages/api/dist/proto.js → <repo>/proto; the tctl bundle (one file, DIR/tctl/tctl.mjs) → DIR/proto.
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, '../../../proto'), join(here, '../../proto'), join(here, '../proto')];
  const found = candidates.find((c) => existsSync(join(c, 'tugboat/v1/objects.proto')));
  if (!found) throw new Error(`cannot find proto/tugboat/v1/objects.proto near ${here}`);
  return found;
}

let cached: ProtoGrpcType | undefined;

export function loadProtos(): ProtoGrpcType {
  if (cached) return cached;
  const root = protoRoot();
  const def = loadSync(['tugboat/v1/objects.proto', 'tugboat/v1/pods.proto', 'tugboat/v1/auth.proto'], {
    includeDirs: [root],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  cached = loadPackageDefinition(def) as unknown as ProtoGrpcType;
  return cached;
}
