// What the image store records about an image and its unpacked layers, and the error a pull
// reports — shared by the blob store, the puller, the unpacker, GC and the store's façade.
import type { ImageConfig } from './manifest.js';
import type { RegistryError } from './registry-client.js';

export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/** Kubernetes' waiting reasons for image problems. */
export type ImageErrorReason = 'ErrImagePull' | 'ErrImageNeverPull' | 'InvalidImageName';

export class ImagePullError extends Error {
  override readonly name = 'ImagePullError';
  constructor(
    readonly reason: ImageErrorReason,
    message: string,
    /** The registry's error class, when a registry answered. */
    readonly code?: RegistryError['code'],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface LayerRecord {
  digest: string;
  mediaType: string;
  size: number;
  diffId: string;
  chainId: string;
}

export interface ImageRecord {
  /** The normalized reference: `docker.io/library/busybox:latest`, `oci:/abs/dir:tag`. */
  reference: string;
  manifestDigest: string;
  indexDigest?: string;
  configDigest: string;
  layers: LayerRecord[];
  config: ImageConfig;
  /** Bytes on disk: blobs plus unpacked content. */
  size: number;
  pulledAt: string;
  lastUsedAt: string;
}

export interface SnapshotRecord {
  id: number;
  chainId: string;
  parent?: string;
  /** Bytes of file content unpacked into this snapshot. */
  size: number;
}

export type Snapshotter = 'overlay' | 'copy';
