export * from './harness/ports.js';
export * from './harness/etcd.js';
