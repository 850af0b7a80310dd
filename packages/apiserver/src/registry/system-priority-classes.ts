// The built-in PriorityClasses, made when missing each time the server connects to etcd (as
// Kubernetes' scheduling/bootstrap-system-priority-classes start hook does). One that exists is
// left as it is: validation already keeps its value and default fixed.
import { ApiError, SYSTEM_PRIORITY_CLASSES } from '@tugboat/api';
import type { Registry } from './registry.js';

/** Creates the system classes that do not exist; returns how many it made. */
export async function ensureSystemPriorityClasses(registry: Registry): Promise<number> {
  let made = 0;
  for (const pc of SYSTEM_PRIORITY_CLASSES) {
    try {
      await registry.create(structuredClone(pc));
      made++;
    } catch (e) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
  return made;
}
