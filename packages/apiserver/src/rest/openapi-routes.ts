// /openapi/v3[/…]: the documents the openapi module builds from our schemas (kubectl reads
// them to validate manifests and to learn that the server takes fieldValidation). /openapi/v2
// is not served: kubectl 1.32 asks v3 first.
import { openApiV3Document, openApiV3Root } from '../openapi/index.js';

/** `path` without its leading slash: "openapi/v3", "openapi/v3/api/v1", "openapi/v3/apis/apps/v1". */
export function openApi(path: string): Record<string, unknown> | undefined {
  if (path === 'openapi/v3') return openApiV3Root();
  if (path.startsWith('openapi/v3/')) return openApiV3Document(path.slice('openapi/v3/'.length));
  return undefined;
}
