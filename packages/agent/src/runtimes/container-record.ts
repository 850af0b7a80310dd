// The start of a container's record in the two runtimes that keep records on disk (oci,
// process): the same fields, written once, whatever each runtime adds after them (the oci
// runtime the image's stop signal, the process runtime the argv it runs), and read back into
// the instance's ContainerInfo the same way.
import type { ContainerConfig, ContainerInfo, ContainerInstance } from './runtime.js';

export interface ContainerRecordBase extends ContainerInstance {
  version: 1;
  /** The runtime's id of this instance. */
  id: string;
  createdAt: string;
  annotations: Record<string, string>;
  /**
   * The CRI log (logs/pod-log-layout.ts). Records written before that layout name none: their
   * log is beside the record (oci: container.log, process: <attempt>.log).
   */
  logPath?: string;
}

/** The common fields of a new instance's record, created now, logging to `logPath`. */
export function newContainerRecord(id: string, config: ContainerConfig, logPath: string): ContainerRecordBase & { logPath: string } {
  return {
    version: 1,
    id,
    pod: config.pod,
    name: config.name,
    attempt: config.attempt,
    image: config.image,
    imageRef: config.imageRef,
    createdAt: new Date().toISOString(),
    annotations: config.annotations,
    logPath,
  };
}

/** What a record says of the instance for its ContainerInfo: who it is, not how it is doing. */
export function containerInfoBase(record: ContainerRecordBase): Pick<ContainerInfo, keyof ContainerInstance | 'id' | 'createdAt' | 'annotations'> {
  return {
    id: record.id,
    pod: record.pod,
    name: record.name,
    attempt: record.attempt,
    image: record.image,
    imageRef: record.imageRef,
    createdAt: new Date(record.createdAt),
    annotations: record.annotations,
  };
}
