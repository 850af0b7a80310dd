// @tugboat/scheduler: the scheduling framework, in-tree plugins, queue, cache and the
// scheduler component. `tugboat-scheduler` (main.ts) runs it.
export * from './framework/status.js';
export * from './framework/interfaces.js';
export * from './framework/cycle-state.js';
export * from './framework/node-info.js';
export * from './framework/pod-info.js';
export * from './framework/resources.js';
export * from './framework/profile.js';
export * from './framework/framework.js';
export { PluginNames, type PluginName } from './plugins/names.js';
export { IN_TREE_REGISTRY } from './plugins/registry.js';
export * from './cache.js';
export * from './queue.js';
export * from './schedule-one.js';
export * from './config.js';
export * from './metrics.js';
export * from './scheduler.js';
