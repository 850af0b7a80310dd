// The CI-size run of the manifest fuzzer (fuzz.ts): 1,000 cases from a fixed seed against a
// fresh etcd and API server process. `npm run fuzz -- --count 10000` is the long run.
import test from 'ava';
import { etcdAvailable } from '../harness/etcd.js';
import { runFuzz, summaryLine, violations } from './fuzz.js';

const CI_SEED = 20240612;

test('1,000 fuzzed manifests: each stored whole or refused in one line, no partial writes, no crash', async (t) => {
  if (!etcdAvailable()) {
    t.log('etcd is not installed: skipped');
    t.pass();
    return;
  }
  t.timeout(110_000);
  const s = await runFuzz({ count: 1000, seed: CI_SEED, timeoutMs: 10_000 });
  t.log(summaryLine(s));
  t.is(violations(s), 0, `${s.failure ?? ''}\nminimal counterexample: ${s.counterexample ?? ''}\nas generated: ${s.firstFailure ?? ''}`);
  t.is(s.failure, undefined, s.counterexample);
  t.is(s.cases, 1000);
});
