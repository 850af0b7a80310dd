import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, configFromObject, loadConfig } from './config.js';
import { DEFAULT_PROFILE } from './framework/profile.js';

test('an empty file means the defaults', (t) => {
  t.deepEqual(configFromObject(null), DEFAULT_CONFIG);
  t.deepEqual(configFromObject({}).profile, DEFAULT_PROFILE);
});

test('given parts replace the defaults; the rest stay', (t) => {
  const c = configFromObject({
    kind: 'SchedulerConfiguration',
    percentageOfNodesToScore: 30,
    podMaxBackoffSeconds: 20,
    plugins: { score: [{ name: 'LeastAllocated', weight: 5 }, 'BalancedAllocation'] },
  });
  t.is(c.profile.percentageOfNodesToScore, 30);
  t.deepEqual(c.profile.score, [{ name: 'LeastAllocated', weight: 5 }, { name: 'BalancedAllocation', weight: 1 }]);
  t.deepEqual(c.profile.filter, DEFAULT_PROFILE.filter);
  t.is(c.maxBackoffMs, 20_000);
  t.is(c.initialBackoffMs, 1_000);
});

test('load-aware scoring has weight 1 in the default profile; a config sets it or leaves it out', (t) => {
  t.deepEqual(DEFAULT_PROFILE.score.find((s) => s.name === 'NodeResourcesLoadAware'), { name: 'NodeResourcesLoadAware', weight: 1 });
  const heavier = configFromObject({ plugins: { score: ['LeastAllocated', { name: 'NodeResourcesLoadAware', weight: 3 }] } });
  t.deepEqual(heavier.profile.score, [{ name: 'LeastAllocated', weight: 1 }, { name: 'NodeResourcesLoadAware', weight: 3 }]);
  const off = configFromObject({ plugins: { score: ['LeastAllocated'] } });
  t.false(off.profile.score.some((s) => s.name === 'NodeResourcesLoadAware'));
});

test('preemption is the default PostFilter; postFilter: [] turns it off', (t) => {
  t.deepEqual(DEFAULT_PROFILE.postFilter, ['DefaultPreemption']);
  t.deepEqual(configFromObject({ plugins: { postFilter: [] } }).profile.postFilter, []);
});

test('mistakes name the field', (t) => {
  const msg = (doc: unknown): string => t.throws(() => configFromObject(doc))!.message;
  t.is(msg({ percentageOfNodeToScore: 5 }), 'percentageOfNodeToScore: unknown field');
  t.is(msg({ plugins: { score: [{ name: 'LeastAllocated', weight: -1 }] } }), 'plugins.score[0].weight: must be a positive integer');
  t.is(msg({ plugins: { permit: [] } }), 'plugins.permit: unknown extension point (filter, score, reserve, postFilter, preBind)');
  t.is(msg({ kind: 'Pod' }), 'kind: must be SchedulerConfiguration, got "Pod"');
  t.is(msg({ percentageOfNodesToScore: 120 }), 'percentageOfNodesToScore: must be a number from 0 (adaptive) to 100');
});

test('loadConfig reads YAML and JSON and prefixes errors with the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sched-config-'));
  try {
    const yaml = join(dir, 'c.yaml');
    writeFileSync(yaml, 'schedulerName: my-scheduler\nplugins:\n  filter: [NodeUnschedulable, NodeResourcesFit]\n');
    const c = loadConfig(yaml);
    t.is(c.profile.schedulerName, 'my-scheduler');
    t.deepEqual(c.profile.filter, ['NodeUnschedulable', 'NodeResourcesFit']);
    const json = join(dir, 'c.json');
    writeFileSync(json, JSON.stringify({ podInitialBackoffSeconds: 'soon' }));
    t.is(t.throws(() => loadConfig(json))!.message, `config ${json}: podInitialBackoffSeconds: must be a positive number of seconds`);
    t.regex(t.throws(() => loadConfig(join(dir, 'missing.yaml')))!.message, /^config .*missing\.yaml: ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
