export * from './types.js';
export * from './kinds.js';
export * from './errors.js';
export { loadProtos } from './proto.js';
export * from './client/client.js';
export * from './client/informer.js';
