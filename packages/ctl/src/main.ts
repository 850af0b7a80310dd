// tctl's entry point: wires the CLI to the real process (stdout, stderr, stdin, signals).
import { runCli } from './cli.js';

const controller = new AbortController();
let interrupted = false;
const onSignal = (): void => {
  // First Ctrl-C: let a watch or wait end cleanly. Second: leave at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
  setTimeout(() => process.exit(130), 2000).unref();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
// `tctl get pods | head` closes our stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); });

async function readStdinBytes(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const code = await runCli(process.argv.slice(2), {
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
  readStdin: async () => (await readStdinBytes()).toString('utf8'),
  bytes: {
    out: (data) => { process.stdout.write(data); },
    err: (data) => { process.stderr.write(data); },
    readStdin: readStdinBytes,
  },
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
});
// Open gRPC channels or timers must not keep a finished command alive.
process.exitCode = code;
process.stdout.write('', () => process.exit(code));
