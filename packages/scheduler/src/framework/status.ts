// The outcome of a plugin, as a value: "does not fit" is an answer, not an exception.
// Codes follow Kubernetes' framework.Code: `unschedulable` may change when the cluster changes
// (another pod goes away); `unresolvable` will not (the node lacks a label the pod requires);
// `skip` lets a PreFilter / PreScore plugin say its Filter / Score has nothing to do for this
// pod, so the per-node loop does not call it.
export type StatusCode = 'success' | 'unschedulable' | 'unresolvable' | 'error' | 'skip';

export interface Status {
  readonly code: StatusCode;
  /** Short, countable reasons ("Insufficient cpu"); they make up the unschedulable message. */
  readonly reasons: readonly string[];
  /** The plugin that returned it, when the framework knows. */
  readonly plugin?: string;
}

// Shared instances: the per-node hot path must not allocate when a node fits.
export const SUCCESS: Status = Object.freeze({ code: 'success', reasons: [] });
export const SKIP: Status = Object.freeze({ code: 'skip', reasons: [] });

// Plugins build their rejections once (module constants) where the reason is fixed, so a
// rejected node costs no allocation either.
export function unschedulable(reasons: string | readonly string[], plugin?: string): Status {
  return make('unschedulable', reasons, plugin);
}

export function unresolvable(reasons: string | readonly string[], plugin?: string): Status {
  return make('unresolvable', reasons, plugin);
}

export function errorStatus(message: string, plugin?: string): Status {
  return make('error', message, plugin);
}

function make(code: StatusCode, reasons: string | readonly string[], plugin: string | undefined): Status {
  const list = Object.freeze(typeof reasons === 'string' ? [reasons] : [...reasons]);
  return Object.freeze(plugin === undefined ? { code, reasons: list } : { code, reasons: list, plugin });
}

export function withPlugin(status: Status, plugin: string): Status {
  return status.plugin === plugin ? status : Object.freeze({ ...status, plugin });
}

export function isSuccess(status: Status): boolean {
  return status.code === 'success';
}

/** A node rejected for this status may be accepted after the cluster changes. */
export function isRejection(status: Status): boolean {
  switch (status.code) {
    case 'unschedulable':
    case 'unresolvable':
      return true;
    case 'success':
    case 'skip':
    case 'error':
      return false;
  }
}
