// @tugboat/controllers: the controller manager and its parts, for the binary, tests and
// anything that embeds the controllers in-process.
export * from './clock.js';
export * from './workqueue.js';
export * from './metrics.js';
export * from './controller.js';
export * from './expectations.js';
export * from './token-bucket.js';
export * from './informers.js';
export * from './events.js';
export * from './replicaset.js';
export * from './deployment.js';
export * from './gc.js';
export * from './nodelifecycle.js';
export * from './podgc.js';
export * from './manager.js';
export * from './flags.js';
export * from './app.js';
export * from './rollout.js';
export * from './deployment-util.js';
export * from './pod-template-hash.js';
export * from './gc-graph.js';
export * from './node-health.js';
export * from './taints.js';
export * from './owner-refs.js';
export * from './pod-util.js';
export * from './slow-start.js';
