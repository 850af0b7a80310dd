// For the agent's end-to-end tests: the built tugboat-agent binary as a child process (so a
// test can SIGKILL it and start it again), with the flags those tests share (ephemeral ports,
// short lease, status and back-off intervals), its output collected, started once its
// "tugboat-agent v… serving" line is out (20 s, else an error with its output), its gRPC and
// HTTP ports read from that line. Its credentials come from the test PKI, as `tctl cluster up`
// makes them: this node's client certificate in a kubeconfig for the API server, its serving
// certificate, and the cluster CA as the CA of its clients. Test support only: not exported
// from the package's index; each test keeps its own cleanup (data dir, containers) and adds
// its own flags through args.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { testPki, waitFor } from '@tugboat/test';

const AGENT_BIN = fileURLToPath(new URL('../../bin/tugboat-agent.js', import.meta.url));

export interface AgentProcessOptions {
  /** The API server's address. */
  server: string;
  nodeName: string;
  dataDir: string;
  runtime: 'process' | 'oci' | 'fake';
  /**
   * Whose certificate the kubeconfig holds: `node` (default) this node's (system:node:NAME);
   * `admin` the test admin's (system:masters), which `--hollow N` needs to act for N nodes.
   */
  identity?: 'node' | 'admin';
  /** More flags, after the shared ones. */
  args?: string[];
}

/** The security flags of an agent for `nodeName` against the API server at `server`, from the test PKI. */
export async function agentSecurityFlags(server: string, nodeName: string, identity: 'node' | 'admin' = 'node'): Promise<string[]> {
  const pki = await testPki();
  const node = await pki.node(nodeName);
  const kubeconfig = identity === 'admin' ? pki.kubeconfig(server, pki.admin, `hollow-${nodeName}`) : node.files.kubeconfig(server);
  return [
    '--kubeconfig', kubeconfig,
    '--tls-cert-file', node.files.servingCertFile, '--tls-private-key-file', node.files.servingKeyFile,
    '--client-ca-file', pki.files.caFile,
  ];
}

export interface AgentProcess {
  readonly nodeName: string;
  readonly dataDir: string;
  /** The current process (a new one after restart()). */
  readonly proc: ChildProcess;
  /** All it wrote to stdout and stderr, across restarts. */
  output(): string;
  grpcPort(): number;
  httpPort(): number;
  /** Sends the signal and resolves once the process exited; nothing if it already has. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same flags (after kill) and waits until it serves. */
  restart(): Promise<void>;
}

export async function startAgentProcess(opts: AgentProcessOptions): Promise<AgentProcess> {
  const args = [
    AGENT_BIN, ...await agentSecurityFlags(opts.server, opts.nodeName, opts.identity), '--node-name', opts.nodeName, '--runtime', opts.runtime,
    '--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0', '--data-dir', opts.dataDir,
    '--lease-interval', '500ms', '--node-status-interval', '1s', '--backoff-initial', '1s', '--backoff-max', '4s',
    ...(opts.args ?? []),
  ];
  let proc!: ChildProcess;
  let out = '';
  let mine = ''; // this instance's output only: its serving line, its ports
  const launch = async (): Promise<void> => {
    mine = '';
    const p = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    const collect = (d: Buffer): void => { out += d.toString(); mine += d.toString(); };
    p.stdout?.on('data', collect);
    p.stderr?.on('data', collect);
    try {
      await waitFor('tugboat-agent to serve', () => {
        if (p.exitCode !== null || p.signalCode !== null) throw new Error(`tugboat-agent exited: ${mine}`);
        return /tugboat-agent v\S+ serving/.test(mine);
      }, 20_000, 25);
    } catch (e) {
      // One that never came up must not outlive the test run.
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      throw e;
    }
  };
  await launch();
  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    const p = proc;
    if (p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
  };
  const port = (what: 'gRPC' | 'HTTP'): number => Number(new RegExp(`${what} on [^:]+:(\\d+)`).exec(mine)?.[1]);
  return {
    nodeName: opts.nodeName, dataDir: opts.dataDir, get proc() { return proc; }, output: () => out,
    grpcPort: () => port('gRPC'), httpPort: () => port('HTTP'), kill, restart: launch,
  };
}
