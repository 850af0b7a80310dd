// @tugboat/apiserver: the API server as a library (the binary is main.ts).
export { startApiServer, ListenError, DEFAULT_LISTEN, DEFAULT_HTTP_LISTEN, type ApiServer, type ApiServerOptions } from './server.js';
export { Registry, type ApplyOutcome } from './registry/registry.js';
export type { Storage, KeyValue, WriteResult, ListPage, StorageEvent, StorageWatch } from './storage/storage.js';
export { EtcdStorage } from './storage/etcd-storage.js';
export type { EtcdTls } from './storage/etcd-tls.js';
export { parseEncryptionConfig, loadEncryptionConfig, EncryptionConfigError, type EncryptionConfig, type ProviderConfig } from './storage/encryption/config.js';
export { EncryptingStorage, transformationOperationsCounter, type TransformationCounter } from './storage/encryption/encrypting-storage.js';
export { reencrypt, formatReencryption, type ResourceReencryption } from './storage/encryption/reencrypt.js';
export { threeWayMerge } from './apply/three-way-merge.js';
export { computeApply } from './apply/apply.js';
export { parseFlags, USAGE } from './flags.js';
