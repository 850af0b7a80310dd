// @tugboat/ctl's programmatic surface: the CLI runner (for in-process tests) and the
// pieces other tooling may want (manifest reading, printers). Nothing depends on ctl.
export { runCli } from './cli.js';
export type { Io } from './context.js';
export { readManifests, parseManifestText, type ManifestDoc } from './manifests.js';
export { humanDuration, age } from '@tugboat/api';
export { renderTable } from './printers/table.js';
