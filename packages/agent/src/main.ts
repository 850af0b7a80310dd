// tugboat-agent: parse flags, start, print one line saying what runs where, stop cleanly on
// SIGTERM/SIGINT (containers keep running: a restarted agent adopts them). A bad flag — or a
// certificate, key or kubeconfig it names that cannot be used — exits 2; a failure to start
// exits 1; both one line.
import { logVerbosity, setLogVerbosity } from '@grpc/grpc-js';
import { startAgent } from './agent.js';
import { describeRuntime, resolveRuntimeChoice } from './runtimes/factory.js';
import { parseCommand, USAGE, type ParsedCommand } from './flags.js';
import { loadAgentSecurity, type AgentSecurity } from './security.js';
import { killContainers } from './runtimes/process/kill-containers.js';
import { killOciContainers } from './runtimes/oci/kill-containers.js';
import { AGENT_VERSION } from './version.js';

async function main(): Promise<void> {
  setLogVerbosity(logVerbosity.NONE);
  let parsed: ParsedCommand;
  try {
    parsed = parseCommand(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`tugboat-agent: ${e instanceof Error ? e.message : String(e)} (see --help)\n`);
    process.exit(2);
  }
  switch (parsed.command) {
    case 'help':
      process.stdout.write(USAGE);
      return;
    case 'kill-containers': {
      const n = killContainers(parsed.dataDir) + await killOciContainers(parsed.dataDir);
      process.stdout.write(`killed ${n} container(s) recorded under ${parsed.dataDir}\n`);
      return;
    }
    case 'run':
      break;
  }
  const flags = parsed.flags;
  let security: AgentSecurity;
  try {
    security = loadAgentSecurity(flags);
  } catch (e) {
    process.stderr.write(`tugboat-agent: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
  for (const w of security.warnings) process.stderr.write(`tugboat-agent: warning: ${w}\n`);
  // --runtime auto (the default): oci where containers can run, else process, saying why.
  const chosen = resolveRuntimeChoice(flags.runtime);
  if (chosen.note) process.stderr.write(`tugboat-agent: using the process runtime: ${chosen.note}\n`);
  flags.runtime = chosen.choice;
  let agent;
  try {
    agent = await startAgent({ ...flags, security });
  } catch (e) {
    process.stderr.write(`tugboat-agent: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  const nodes = agent.nodeNames.length > 1
    ? `${agent.nodeNames.length} hollow nodes ${agent.nodeNames[0]} … ${agent.nodeNames[agent.nodeNames.length - 1]}`
    : `node ${agent.nodeNames[0]}`;
  process.stdout.write(
    `tugboat-agent v${AGENT_VERSION} serving ${nodes} with runtime ${describeRuntime(flags.runtime)}; ` +
    `gRPC on ${flags.listen.host}:${agent.grpcPort}, HTTP on ${flags.httpListen.host}:${agent.httpPort}, ` +
    `API server ${security.client.server} (TLS), data dir ${flags.dataDir}\n`,
  );
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`tugboat-agent: ${signal}: shutting down (containers keep running)\n`);
    setTimeout(() => process.exit(1), 10_000).unref();
    agent.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

void main();
