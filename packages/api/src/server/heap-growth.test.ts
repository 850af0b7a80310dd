import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HEAP_GROWTH_VARIABLE, heapGrowthPercent } from './heap-growth.js';

test('the growth comes from the environment: 50% by default, 0 for V8 itself, anything else refused', (t) => {
  t.is(heapGrowthPercent({}), 50);
  t.is(heapGrowthPercent({ [HEAP_GROWTH_VARIABLE]: ' 100 ' }), 100);
  t.is(heapGrowthPercent({ [HEAP_GROWTH_VARIABLE]: '0' }), 'v8');
  for (const bad of ['-5', '1.5', 'lots', '5000']) {
    const e = t.throws(() => heapGrowthPercent({ [HEAP_GROWTH_VARIABLE]: bad }));
    t.is(e?.message, `$${HEAP_GROWTH_VARIABLE}: ${JSON.stringify(bad)} is not a whole percentage from 0 to 1000 (0: V8 chooses)`);
  }
});

// A process holding about 50 MB while it allocates hard, as a component under load does;
// it prints the most its heap ever took, in MB.
const CHURN = `
import { boundHeapGrowth } from ${JSON.stringify(fileURLToPath(new URL('./heap-growth.js', import.meta.url)))};
boundHeapGrowth();
const live = [];
for (let i = 0; i < 25000; i++) live.push({ text: Buffer.alloc(2000, 'v' + i).toString('latin1'), n: [i] });
let peak = 0;
for (let round = 0; round < 60; round++) {
  for (let i = 0; i < 5000; i++) { const j = (i * 7919 + round) % live.length; live[j] = { text: Buffer.alloc(2000, 'w' + j + round).toString('latin1'), n: [j] }; }
  const garbage = []; for (let i = 0; i < 20000; i++) garbage.push({ i, s: 'g' + i });
  peak = Math.max(peak, process.memoryUsage().heapTotal);
}
console.log(Math.round(peak / 1048576));
`;

function peakHeapMB(growth: string): number {
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', CHURN], { env: { ...process.env, [HEAP_GROWTH_VARIABLE]: growth }, encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) throw new Error(`churn with ${growth}% failed: ${res.stderr}`);
  return Number(res.stdout.trim());
}

test('bounded growth keeps a busy heap near what is live; V8 left to itself lets it grow far past', (t) => {
  const bounded = peakHeapMB('50');
  const own = peakHeapMB('0');
  t.log(`peak heap holding ~50 MB: ${bounded} MB at 50%, ${own} MB when V8 chooses`);
  t.true(bounded < 200, `${bounded} MB at 50%`);
  t.true(own > bounded * 1.3, `V8's own: ${own} MB against ${bounded} MB`);
});
