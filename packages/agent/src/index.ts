export * from './runtimes/runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './runtimes/process/process-runtime.js';
export { FakeRuntime, type FakeRuntimeOptions } from './runtimes/fake/fake-runtime.js';
export { killContainers } from './runtimes/process/kill-containers.js';
