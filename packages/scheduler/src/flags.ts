// Command-line flags of tugboat-scheduler (contracts: `--flag value` or `--flag=value`), declared
// as a table for @tugboat/api's parser, which also prints them for --help.
import { hostname } from 'node:os';
import { FlagError, defineFlags, formatFlagUsage, parseCommandLine } from '@tugboat/api';

const FLAGS = defineFlags({
  kubeconfig: {
    kind: 'string', metavar: 'FILE', default: '', section: 'Flags:',
    help: 'API server address, CA and this scheduler\'s credentials (else the\nin-cluster configuration when it runs in a pod)',
  },
  server: { kind: 'string', metavar: 'ADDR', default: '', help: 'API server gRPC address (HOST:PORT), instead of the kubeconfig\'s' },
  config: { kind: 'string', metavar: 'FILE', default: '', help: 'scheduler configuration (YAML or JSON): profile, plugins, weights' },
  'http-listen': { kind: 'host-port', default: '127.0.0.1:10259', help: 'serve /metrics and /healthz here (default 127.0.0.1:10259)' },
  'leader-elect': { kind: 'boolean', default: 'true', help: 'campaign for the tugboat-scheduler Lease; only the leader schedules (default true)' },
  id: { kind: 'string', metavar: 'ID', help: 'identity in the leader election Lease (default HOSTNAME_PID)' },
});

export const USAGE = `Usage: tugboat-scheduler --kubeconfig FILE [flags]

Watches pending pods and binds each to the least-loaded node that fits.
${formatFlagUsage(FLAGS, { column: 29, help: 'show this help' })}`;

export interface Flags { server: string; kubeconfig: string; config: string; httpListen: string; leaderElect: boolean; id: string }

/** Throws a FlagError with a one-line message for a bad flag. */
export function parseFlags(argv: readonly string[]): Flags | 'help' {
  const parsed = parseCommandLine(argv, FLAGS);
  if (parsed.help) return 'help';
  const v = parsed.values;
  if (v.id === '') throw new FlagError('--id: must not be empty', 'invalid-value', '--id');
  return {
    server: v.server, kubeconfig: v.kubeconfig, config: v.config, httpListen: v['http-listen'], leaderElect: v['leader-elect'],
    id: v.id ?? `${hostname()}_${process.pid}`,
  };
}
