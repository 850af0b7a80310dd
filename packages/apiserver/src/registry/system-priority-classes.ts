// The built-in PriorityClasses, made when missing each time the server connects to etcd (as
// Kubernetes' scheduling/bootstrap-system-priority-classes start hook does). One that exists is
// left as it is: validation already keeps its value and default fixed.
import { ApiError, SYSTEM_PRIORITY_CLASSES, localPathStorageClass } from '@tugboat/api';
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

/**
 * The default StorageClass `local-path` (k3s's local-path provisioner, run by the controller
 * manager and the agents), made when missing each time the server connects to etcd, as k3s
 * applies its local-storage manifest at every start. An existing one is left as it is.
 */
export async function ensureDefaultStorageClass(registry: Registry): Promise<boolean> {
  try {
    await registry.create(localPathStorageClass());
    return true;
  } catch (e) {
    if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    return false;
  }
}
