// What both runtimes that run real containers (oci, process) do the same way over their
// own records: wait for a container to reach a state, and read its CRI log while it lives.
import { sleep } from '@tugboat/api/sleep';
import { readCriLog } from '../logs/cri-log.js';
import type { ContainerInfo, LogOptions } from './runtime.js';

export type ContainerStatusOf = (id: string) => Promise<ContainerInfo | undefined>;

/** Polls until `ok` (or the container is gone); false when `timeoutMs` passed first. */
export async function waitForContainer(status: ContainerStatusOf, id: string, ok: (s: ContainerInfo) => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(id);
    if (!s || ok(s)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(50, Math.max(1, deadline - Date.now())));
  }
}

/** The container's log file as Runtime.logs gives it: a follow ends once the container has exited. */
export function containerLogs(path: string, status: ContainerStatusOf, id: string, opts: LogOptions = {}): AsyncIterable<Buffer> {
  return readCriLog(path, {
    ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
    ...(opts.since ? { since: opts.since } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    timestamps: !!opts.timestamps,
    follow: !!opts.follow,
    isDone: async () => {
      const s = await status(id);
      return !s || s.state === 'exited';
    },
  });
}
