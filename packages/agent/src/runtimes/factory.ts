// Which Runtime a --runtime value means. One place to add a runtime.
import type { KubeObject, ConfigMap, PersistentVolumeClaimObject, PersistentVolumeObject, Secret, TugboatClient } from '@tugboat/api';
import type { RuntimeChoice } from '../flags.js';
import { FakeRuntime } from './fake/fake-runtime.js';
import { OciRuntime } from './oci/oci-runtime.js';
import { detectOciTooling } from './oci/runc.js';
import type { NodeNetworkConfig } from './oci/network.js';
import type { ObjectLookup } from './oci/volumes.js';
import { ProcessRuntime } from './process/process-runtime.js';
import type { Runtime } from './runtime.js';

export interface RuntimeSettings {
  dataDir: string;
  nodeName: string;
  hostIP: string;
  version: string;
  fakeStartDelayMs: number;
  /** oci: the node's pod CIDR (default: the Node's, set later with setPodCIDR). */
  podCidr?: string;
  /** oci: --insecure-registry entries. */
  insecureRegistries?: readonly string[];
  /** oci: --registry-mirror entries (domain → host). */
  registryMirrors?: Readonly<Record<string, string>>;
  /** oci: where ConfigMap, Secret and projected volumes and imagePullSecrets are read from. */
  lookup?: ObjectLookup;
  log?: (message: string) => void;
  /** oci: the node's containerLogMaxSize (conmon's safety net is four times it). */
  logMaxBytes?: number;
  /** oci: overrides of the node's CNI network settings (e.g. ipMasq off where routes/ masquerades). */
  network?: Partial<NodeNetworkConfig>;
}

/**
 * `auto` → oci where containers can run (root, runc or crun, conmon), else process; the
 * note says why oci was not chosen, for the agent's start line.
 */
export function resolveRuntimeChoice(choice: RuntimeChoice): { choice: Exclude<RuntimeChoice, 'auto'>; note?: string } {
  if (choice !== 'auto') return { choice };
  const oci = detectOciTooling();
  return oci.ok ? { choice: 'oci' } : { choice: 'process', note: `the oci runtime cannot run here: ${oci.reason}` };
}

export function createRuntime(choice: RuntimeChoice, s: RuntimeSettings): Runtime {
  const resolved = resolveRuntimeChoice(choice).choice;
  switch (resolved) {
    case 'process': return new ProcessRuntime({ dataDir: s.dataDir, hostIP: s.hostIP, version: s.version });
    case 'fake': return new FakeRuntime({ hostIP: s.hostIP, startDelayMs: s.fakeStartDelayMs, version: s.version });
    case 'oci': return OciRuntime.open({
      dataDir: s.dataDir,
      nodeName: s.nodeName,
      hostIP: s.hostIP,
      ...(s.podCidr ? { podCIDR: s.podCidr } : {}),
      ...(s.insecureRegistries?.length ? { insecureRegistries: s.insecureRegistries } : {}),
      ...(s.registryMirrors ? { registryMirrors: s.registryMirrors } : {}),
      ...(s.lookup ? { lookup: s.lookup } : {}),
      ...(s.log ? { log: s.log } : {}),
      ...(s.network ? { network: s.network } : {}),
      ...(s.logMaxBytes !== undefined ? { logMaxBytes: s.logMaxBytes } : {}),
    });
  }
}

/** ConfigMaps, Secrets, claims and their volumes, and ServiceAccount tokens from the API server, for the oci runtime's volumes and pull secrets. */
export function apiObjectLookup(client: TugboatClient): ObjectLookup {
  return {
    configMap: async (ns, name) => (await client.tryGet<KubeObject>('configmaps', ns, name)) as ConfigMap | undefined,
    secret: async (ns, name) => (await client.tryGet<KubeObject>('secrets', ns, name)) as Secret | undefined,
    persistentVolumeClaim: (ns, name) => client.tryGet<PersistentVolumeClaimObject>('persistentvolumeclaims', ns, name),
    persistentVolume: (name) => client.tryGet<PersistentVolumeObject>('persistentvolumes', '', name),
    serviceAccountToken: (ns, name, request) => client.createToken(ns, name, request),
  };
}

/** How a runtime is described in the agent's start line. */
export function describeRuntime(choice: RuntimeChoice): string {
  switch (choice) {
    case 'process': return 'process (host processes under a monitor, no isolation; images are recorded, not pulled)';
    case 'fake': return 'fake (hollow: nothing is started)';
    case 'oci': return 'oci (OCI images from registries, runc/crun under conmon, CNI pod network)';
    case 'auto': return describeRuntime(resolveRuntimeChoice('auto').choice);
  }
}
