export * from './harness/ports.js';
export * from './harness/etcd.js';
export * from './harness/registry.js';
export * from './harness/images.js';
export * from './harness/apiserver.js';
export * from './harness/cluster.js';
export * from './harness/pki.js';
