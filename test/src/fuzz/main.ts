// `npm run fuzz -- --count N [--seed S] [--timeout-ms T]`: the manifest fuzzer (fuzz.ts)
// against a fresh etcd and API server process. Exits 1 on any violation, after printing the
// smallest counterexample fast-check found.
import { parseArgs } from 'node:util';
import { runFuzz, summaryLine, violations } from './fuzz.js';

const { values } = parseArgs({ options: { count: { type: 'string', default: '1000' }, seed: { type: 'string' }, 'timeout-ms': { type: 'string', default: '10000' } } });
const count = Number(values.count);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed)) {
  process.stderr.write('usage: npm run fuzz -- --count N [--seed S] [--timeout-ms T]\n');
  process.exit(2);
}
const summary = await runFuzz({ count, seed, timeoutMs: Number(values['timeout-ms']), log: (l) => process.stderr.write(`${l}\n`) });
if (summary.failure) process.stdout.write(`fuzz: FAILED: ${summary.failure}\nminimal counterexample: ${summary.counterexample ?? '(none)'}\n`);
process.stdout.write(`${summaryLine(summary)}\n`);
process.exit(violations(summary) || summary.failure ? 1 : 0);
