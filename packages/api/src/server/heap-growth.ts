// How far a component's JavaScript heap may grow past what is live before a full collection.
// V8 picks the factor itself, up to 4× on a machine with more than 16 GB, so a control plane
// holding 300 MB of objects peaked near 700 MB while allocating hard (bench:density, 5,000
// nodes). Go's collector, which Kubernetes' components run on, lets the heap grow to 2× by
// default (GOGC=100). We bound V8's factor likewise, lower still because a JavaScript object
// costs more than a Go struct: 1.5× by default, at a few percent more CPU in collections.
import { setFlagsFromString } from 'node:v8';

/** The environment variable that sets the growth, in percent over the live heap; 0 leaves it to V8. */
export const HEAP_GROWTH_VARIABLE = 'TUGBOAT_HEAP_GROWTH_PERCENT';
export const DEFAULT_HEAP_GROWTH_PERCENT = 50;

/** The growth the environment asks for: a percentage (default 50), or 'v8' for V8's own choice. Pure. */
export function heapGrowthPercent(env: Readonly<Record<string, string | undefined>>): number | 'v8' {
  const raw = env[HEAP_GROWTH_VARIABLE]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_HEAP_GROWTH_PERCENT;
  if (!/^\d+$/.test(raw) || Number(raw) > 1_000) {
    throw new Error(`$${HEAP_GROWTH_VARIABLE}: ${JSON.stringify(raw)} is not a whole percentage from 0 to 1000 (0: V8 chooses)`);
  }
  const n = Number(raw);
  return n === 0 ? 'v8' : n;
}

/**
 * At a program's start: applies heapGrowthPercent(process.env) to its V8, or says why not in
 * one line (`<program>: $TUGBOAT_HEAP_GROWTH_PERCENT: …`) and exits 2, as a bad flag does.
 */
export function boundHeapGrowthOrExit(program: string): void {
  try {
    boundHeapGrowth();
  } catch (e) {
    process.stderr.write(`${program}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}

/** Applies heapGrowthPercent(env) to this process's V8; returns what it applied. */
export function boundHeapGrowth(env: Readonly<Record<string, string | undefined>> = process.env): number | 'v8' {
  const percent = heapGrowthPercent(env);
  if (percent !== 'v8') setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
