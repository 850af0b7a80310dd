// The real kubectl against a test cluster: the e2e tests use kubectl's own output as the judge
// of the API server's Kubernetes REST API, so nobody here wrote the client that checks it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runToCompletion, type TctlResult } from './cluster.js';

export const KUBECTL = 'kubectl';

let missing: string | false | undefined;

/**
 * Why kubectl tests cannot run on this machine ("no kubectl on PATH"), or undefined when they
 * can. Checked once per process; the caller prints the reason with its file's name, so a skip
 * is never silent.
 */
export function kubectlMissing(): string | undefined {
  if (missing === undefined) {
    missing = spawnSync(KUBECTL, ['version', '--client'], { stdio: 'ignore' }).status === 0 ? false : `no ${KUBECTL} on PATH`;
  }
  return missing || undefined;
}

/**
 * kubectl's environment for the cluster whose $TUGBOAT_HOME is `clusterHome`: the kubeconfig
 * `cluster up` wrote there, and `home` as HOME, because kubectl caches discovery and OpenAPI
 * under ~/.kube/cache and a test must not read another run's (or the user's) cache.
 */
export function kubectlEnv(clusterHome: string, home: string): NodeJS.ProcessEnv {
  return { ...process.env, KUBECONFIG: join(clusterHome, 'kubeconfig'), HOME: home };
}

export interface KubectlRunOptions {
  /** Written to kubectl's stdin (for `-f -`); stdin is closed either way. */
  input?: string | undefined;
  /** Killed (SIGKILL) and rejected after this long; default 150 s. */
  timeoutMs?: number | undefined;
}

/**
 * Runs kubectl to completion against the cluster at `clusterHome` (see kubectlEnv), in the
 * repository root so relative manifest paths resolve. Never rejects for a non-zero exit; rejects
 * when kubectl cannot start or outlives the timeout, with what it printed so far.
 */
export function runKubectl(clusterHome: string, home: string, args: readonly string[], opts: KubectlRunOptions = {}): Promise<TctlResult> {
  return runToCompletion(KUBECTL, args, kubectlEnv(clusterHome, home), { input: opts.input, timeoutMs: opts.timeoutMs ?? 150_000, label: `kubectl ${args.join(' ')}` });
}
