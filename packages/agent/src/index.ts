// @tugboat/agent: the node agent as a library (tests, `tctl cluster`) and its runtimes.
export * from './runtimes/runtime.js';
export { ProcessRuntime, type ProcessRuntimeOptions } from './runtimes/process/process-runtime.js';
export { FakeRuntime, type FakeRuntimeOptions } from './runtimes/fake/fake-runtime.js';
export { killContainers } from './runtimes/process/kill-containers.js';
export { createRuntime, describeRuntime, type RuntimeSettings } from './runtimes/factory.js';
export { startAgent, type AgentOptions, type RunningAgent } from './agent.js';
export { parseCommand, USAGE, type AgentFlags, type RuntimeChoice } from './flags.js';
export { PodManager, type PodManagerOptions } from './pods/pod-manager.js';
export { NodeAgent, type NodeAgentOptions } from './node/node-agent.js';
export { USAGE_ANNOTATION, POD_USAGE_ANNOTATION } from './node/node-object.js';
export { AgentMetrics } from './metrics.js';
export { AGENT_VERSION } from './version.js';
