// Which Runtime a --runtime value means. One place to add a runtime (the oci runtime joins here).
import type { RuntimeChoice } from '../flags.js';
import { FakeRuntime } from './fake/fake-runtime.js';
import { ProcessRuntime } from './process/process-runtime.js';
import type { Runtime } from './runtime.js';

export interface RuntimeSettings {
  dataDir: string;
  nodeName: string;
  hostIP: string;
  version: string;
  fakeStartDelayMs: number;
}

export function createRuntime(choice: RuntimeChoice, s: RuntimeSettings): Runtime {
  switch (choice) {
    case 'process': return new ProcessRuntime({ dataDir: s.dataDir, hostIP: s.hostIP, version: s.version });
    case 'fake': return new FakeRuntime({ hostIP: s.hostIP, startDelayMs: s.fakeStartDelayMs, version: s.version });
  }
}

/** How a runtime is described in the agent's start line. */
export function describeRuntime(choice: RuntimeChoice): string {
  switch (choice) {
    case 'process': return 'process (host processes under a monitor, no isolation; images are recorded, not pulled)';
    case 'fake': return 'fake (hollow: nothing is started)';
  }
}
