// Command-line flags of tugboat-scheduler (contracts: `--flag value` or `--flag=value`).
import { hostname } from 'node:os';

export const USAGE = `Usage: tugboat-scheduler --kubeconfig FILE [flags]

Watches pending pods and binds each to the least-loaded node that fits.

Flags:
  --kubeconfig FILE          API server address, CA and this scheduler's credentials (else the
                             in-cluster configuration when it runs in a pod)
  --server ADDR              API server gRPC address (HOST:PORT), instead of the kubeconfig's
  --config FILE              scheduler configuration (YAML or JSON): profile, plugins, weights
  --http-listen HOST:PORT    serve /metrics and /healthz here (default 127.0.0.1:10259)
  --leader-elect true|false  campaign for the tugboat-scheduler Lease; only the leader schedules (default true)
  --id ID                    identity in the leader election Lease (default HOSTNAME_PID)
  --help                     show this help
`;

export interface Flags { server: string; kubeconfig: string; config: string; httpListen: string; leaderElect: boolean; id: string }

export class UsageError extends Error {}

export function parseFlags(argv: readonly string[]): Flags | 'help' {
  const flags: Flags = { server: '', kubeconfig: '', config: '', httpListen: '127.0.0.1:10259', leaderElect: true, id: `${hostname()}_${process.pid}` };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') return 'help';
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}`);
    const name = m[1]!;
    const takeValue = (): string => {
      if (m[2] !== undefined) return m[2];
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      return v;
    };
    switch (name) {
      case 'server': flags.server = takeValue(); break;
      case 'kubeconfig': flags.kubeconfig = takeValue(); break;
      case 'config': flags.config = takeValue(); break;
      case 'http-listen': flags.httpListen = takeValue(); break;
      case 'id': flags.id = takeValue(); break;
      case 'leader-elect': {
        // --leader-elect alone means true; a following true/false is its value.
        const next = m[2] ?? (argv[i + 1] === 'true' || argv[i + 1] === 'false' ? argv[++i] : 'true');
        if (next !== 'true' && next !== 'false') throw new UsageError(`--leader-elect: expected true or false, got ${JSON.stringify(next)}`);
        flags.leaderElect = next === 'true';
        break;
      }
      default:
        throw new UsageError(`unknown flag --${name}`);
    }
  }
  if (!flags.id) throw new UsageError('--id: must not be empty');
  return flags;
}

