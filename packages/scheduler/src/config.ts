// The scheduler's configuration file (--config, YAML or JSON). Everything is optional; what is
// given replaces that part of the defaults (DEFAULT_PROFILE, QUEUE_DEFAULTS):
//
//   kind: SchedulerConfiguration
//   schedulerName: default-scheduler
//   percentageOfNodesToScore: 0          # 0: adaptive, as Kubernetes
//   podInitialBackoffSeconds: 1
//   podMaxBackoffSeconds: 10
//   plugins:
//     filter: [NodeUnschedulable, NodeName, NodeReady, TaintToleration, NodeAffinity, NodeResourcesFit]
//     score:
//       - { name: LeastAllocated, weight: 1 }
//       - { name: BalancedAllocation, weight: 1 }
//       - { name: NodeResourcesLoadAware, weight: 1 }   # agents' reported usage; leave out: requests alone
//     reserve: []
//     postFilter: [DefaultPreemption]   # [] turns preemption off
//     preBind: [VolumeBinding]
//
// Unknown fields are errors: a typo must not silently leave a default in place.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_PROFILE, type Profile, type WeightedPlugin } from './framework/profile.js';
import { QUEUE_DEFAULTS } from './queue.js';

export interface SchedulerConfig {
  profile: Profile;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_CONFIG: SchedulerConfig = {
  profile: DEFAULT_PROFILE,
  initialBackoffMs: QUEUE_DEFAULTS.initialBackoffMs,
  maxBackoffMs: QUEUE_DEFAULTS.maxBackoffMs,
};

const TOP_LEVEL = new Set(['apiVersion', 'kind', 'schedulerName', 'percentageOfNodesToScore', 'podInitialBackoffSeconds', 'podMaxBackoffSeconds', 'plugins']);
const PLUGIN_POINTS = new Set(['filter', 'score', 'reserve', 'postFilter', 'preBind']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function names(v: unknown, path: string): string[] {
  if (!Array.isArray(v)) throw new Error(`${path}: must be a list of plugin names`);
  return v.map((x, i) => {
    if (typeof x !== 'string' || x === '') throw new Error(`${path}[${i}]: must be a plugin name`);
    return x;
  });
}

function weighted(v: unknown, path: string): WeightedPlugin[] {
  if (!Array.isArray(v)) throw new Error(`${path}: must be a list of {name, weight}`);
  return v.map((x, i) => {
    if (typeof x === 'string') return { name: x, weight: 1 };
    if (!isObject(x) || typeof x['name'] !== 'string') throw new Error(`${path}[${i}].name: must be a plugin name`);
    for (const k of Object.keys(x)) if (k !== 'name' && k !== 'weight') throw new Error(`${path}[${i}].${k}: unknown field`);
    const weight = x['weight'] ?? 1;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 1) throw new Error(`${path}[${i}].weight: must be a positive integer`);
    return { name: x['name'], weight };
  });
}

function seconds(v: unknown, path: string): number {
  if (typeof v !== 'number' || !(v > 0)) throw new Error(`${path}: must be a positive number of seconds`);
  return v * 1000;
}

/** Validates a parsed config document; throws one line naming the field. */
export function configFromObject(doc: unknown): SchedulerConfig {
  if (doc === null || doc === undefined) return DEFAULT_CONFIG;
  if (!isObject(doc)) throw new Error('must be a mapping of fields');
  for (const k of Object.keys(doc)) if (!TOP_LEVEL.has(k)) throw new Error(`${k}: unknown field`);
  if (doc['kind'] !== undefined && doc['kind'] !== 'SchedulerConfiguration') throw new Error(`kind: must be SchedulerConfiguration, got ${JSON.stringify(doc['kind'])}`);
  const profile: Profile = { ...DEFAULT_PROFILE };
  if (doc['schedulerName'] !== undefined) {
    if (typeof doc['schedulerName'] !== 'string' || doc['schedulerName'] === '') throw new Error('schedulerName: must be a non-empty string');
    profile.schedulerName = doc['schedulerName'];
  }
  const pct = doc['percentageOfNodesToScore'];
  if (pct !== undefined) {
    if (typeof pct !== 'number' || pct < 0 || pct > 100) throw new Error('percentageOfNodesToScore: must be a number from 0 (adaptive) to 100');
    profile.percentageOfNodesToScore = pct;
  }
  const plugins = doc['plugins'];
  if (plugins !== undefined) {
    if (!isObject(plugins)) throw new Error('plugins: must be a mapping of extension points (filter, score, reserve, postFilter, preBind)');
    for (const k of Object.keys(plugins)) if (!PLUGIN_POINTS.has(k)) throw new Error(`plugins.${k}: unknown extension point (filter, score, reserve, postFilter, preBind)`);
    if (plugins['filter'] !== undefined) profile.filter = names(plugins['filter'], 'plugins.filter');
    if (plugins['score'] !== undefined) profile.score = weighted(plugins['score'], 'plugins.score');
    if (plugins['reserve'] !== undefined) profile.reserve = names(plugins['reserve'], 'plugins.reserve');
    if (plugins['postFilter'] !== undefined) profile.postFilter = names(plugins['postFilter'], 'plugins.postFilter');
    if (plugins['preBind'] !== undefined) profile.preBind = names(plugins['preBind'], 'plugins.preBind');
  }
  const initialBackoffMs = doc['podInitialBackoffSeconds'] === undefined ? DEFAULT_CONFIG.initialBackoffMs : seconds(doc['podInitialBackoffSeconds'], 'podInitialBackoffSeconds');
  const maxBackoffMs = doc['podMaxBackoffSeconds'] === undefined ? DEFAULT_CONFIG.maxBackoffMs : seconds(doc['podMaxBackoffSeconds'], 'podMaxBackoffSeconds');
  if (maxBackoffMs < initialBackoffMs) throw new Error('podMaxBackoffSeconds: must not be less than podInitialBackoffSeconds');
  return { profile, initialBackoffMs, maxBackoffMs };
}

/** Reads and validates a config file; errors are one line: `config FILE: field: problem`. */
export function loadConfig(file: string): SchedulerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`config ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return configFromObject(parseYaml(text));
  } catch (e) {
    throw new Error(`config ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}
