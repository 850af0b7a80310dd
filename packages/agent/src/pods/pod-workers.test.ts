import test from 'ava';
import { PodWorkers } from './pod-workers.js';

const tick = (ms = 10): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('syncs of one pod never overlap; requests during a sync collapse into one more run', async (t) => {
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  const w = new PodWorkers(async () => {
    running++; runs++;
    maxRunning = Math.max(maxRunning, running);
    await tick(30);
    running--;
    return undefined;
  }, () => {});
  w.enqueue('a');
  await tick(5);
  for (let i = 0; i < 5; i++) w.enqueue('a');
  await tick(120);
  t.is(maxRunning, 1);
  t.is(runs, 2);
  await w.stop();
});

test('different pods sync concurrently; a requested delay runs the sync again; errors retry', async (t) => {
  const seen: string[] = [];
  let failOnce = true;
  const w = new PodWorkers(async (uid) => {
    seen.push(uid);
    if (uid === 'b' && failOnce) { failOnce = false; throw new Error('boom'); }
    if (uid === 'a' && seen.filter((s) => s === 'a').length === 1) return 20;
    return undefined;
  }, () => {}, 20);
  w.enqueue('a');
  w.enqueue('b');
  await tick(100);
  t.is(seen.filter((s) => s === 'a').length, 2);
  t.is(seen.filter((s) => s === 'b').length, 2);
  await w.stop();
});
