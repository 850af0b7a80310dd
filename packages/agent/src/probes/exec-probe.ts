// exec probes: the command runs inside the container through the runtime's exec (process
// runtime: on the host with the container's env and working dir; oci: runc exec). Exit 0 is
// a success; another exit code a failure whose message is the command's output, as kubelet
// reports it; no exit within the timeout a failure `command "…" timed out`. A runtime that
// cannot exec (the container just stopped) makes the probe error.
import type { Runtime } from '../runtimes/runtime.js';
import { limitOutput, type ProbeOutcome } from './probe-types.js';

export async function execProbe(runtime: Pick<Runtime, 'exec'>, containerId: string, command: readonly string[], timeoutMs: number): Promise<ProbeOutcome> {
  const timedOut: ProbeOutcome = { result: 'failure', output: `command ${JSON.stringify(command.join(' '))} timed out` };
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ProbeOutcome>((resolve) => { timer = setTimeout(() => resolve(timedOut), timeoutMs); });
  const started = Date.now();
  // The runtime gets the same timeout so it kills the command; ours answers on time even if
  // the command's children hold its output open.
  const run = runtime.exec(containerId, [...command], { timeoutMs }).then(
    (r): ProbeOutcome => {
      // Killed by the runtime's timer: report the timeout, not the signal's exit code.
      if (r.exitCode !== 0 && Date.now() - started >= timeoutMs) return timedOut;
      const output = limitOutput(Buffer.concat([r.stdout, r.stderr]).toString('utf8'));
      return r.exitCode === 0 ? { result: 'success', output } : { result: 'failure', output };
    },
    (e: unknown): ProbeOutcome => ({ result: 'error', output: e instanceof Error ? e.message : String(e) }),
  );
  try {
    return await Promise.race([run, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
