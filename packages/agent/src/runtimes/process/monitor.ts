// The container monitor (our small conmon): `node monitor.js <container-dir> <attempt>`.
// The process runtime starts one per container instance, detached in its own session, so it
// outlives the agent (SIGKILL included). It
//   - starts the container's command in a new session and process group (setsid),
//   - writes <attempt>.pid (pid + /proc start time) once it runs,
//   - turns stdout/stderr into CRI log records in the record's logPath, and opens it again
//     on SIGUSR1 (after the node's log manager renamed the file: CRI's ReopenContainerLog),
//   - when the command exits, kills what is left of its process group (as a pid namespace
//     dies with its init) and writes <attempt>.exit with the real exit code.
// Because the monitor — not the agent — is the parent, the exit code is never lost while
// the agent is down. Only a SIGKILL of the monitor itself (a simulated machine crash) loses
// it, and then the runtime reports ContainerStatusUnknown.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { closeSync, openSync, writeSync } from 'node:fs';
import { RecordSplitter } from '../../logs/cri-log.js';
import { readProcStat } from '../../system/proc.js';
import { LOG_REOPEN_SIGNAL, readJson, recordPath, writeJsonAtomic, type ContainerRecord, type ExitRecord, type PidRecord } from './records.js';

export type MonitorMessage = { type: 'started'; pid: number } | { type: 'failed'; message: string };

function tell(msg: MonitorMessage): void {
  if (!process.send || !process.connected) return;
  try {
    process.send(msg, () => { try { process.disconnect(); } catch { /* parent gone */ } });
  } catch { /* the agent went away: nobody to tell */ }
}

function main(): void {
  const [dir, attemptText] = process.argv.slice(2);
  const attempt = Number(attemptText);
  if (!dir || !Number.isInteger(attempt)) {
    process.stderr.write('usage: monitor.js <container-dir> <attempt>\n');
    process.exit(2);
  }
  const exitPath = recordPath(dir, attempt, 'exit');
  const finish = (rec: ExitRecord): void => {
    writeJsonAtomic(exitPath, rec);
  };

  const record = readJson<ContainerRecord>(recordPath(dir, attempt, 'json'));
  if (!record) {
    const message = `container record ${recordPath(dir, attempt, 'json')} is missing or unreadable`;
    finish({ exitCode: 128, finishedAt: new Date().toISOString(), reason: 'StartError', message });
    tell({ type: 'failed', message });
    return;
  }

  // Only SIGKILL should end the monitor before its container; a stray Ctrl-C or a SIGTERM
  // meant for the agent must not orphan the exit code.
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(sig, () => {});

  const logPath = record.logPath ?? recordPath(dir, attempt, 'log');
  let logFd = openSync(logPath, 'a');
  // Between two writes (handlers run on the event loop), so no record is split across files.
  process.on(LOG_REOPEN_SIGNAL, () => {
    try {
      const next = openSync(logPath, 'a');
      const old = logFd;
      logFd = next;
      closeSync(old);
    } catch { /* keep writing to the old file */ }
  });
  const writeLog = (b: Buffer): void => {
    try { writeSync(logFd, b); } catch { /* disk full: keep the container running */ }
  };
  const env: Record<string, string> = {};
  for (const e of record.env) env[e.name] = e.value;

  const child = spawn(record.executable, record.argv.slice(1), {
    ...(record.argv[0] !== undefined ? { argv0: record.argv[0] } : {}),
    ...(record.workingDir ? { cwd: record.workingDir } : {}),
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let started = false;
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (started) return;
    const message = `failed to start container "${record.name}": ${err.message}`;
    finish({ exitCode: 128, finishedAt: new Date().toISOString(), reason: 'StartError', message });
    tell({ type: 'failed', message });
    closeSync(logFd);
  });

  child.on('spawn', () => {
    started = true;
    const pid = child.pid ?? 0;
    const me = readProcStat(process.pid);
    const it = readProcStat(pid);
    const pidRecord: PidRecord = {
      pid,
      ...(it ? { startTime: it.startTime } : {}),
      monitorPid: process.pid,
      ...(me ? { monitorStartTime: me.startTime } : {}),
      logReopenSignal: LOG_REOPEN_SIGNAL,
      startedAt: new Date().toISOString(),
    };
    writeJsonAtomic(recordPath(dir, attempt, 'pid'), pidRecord);
    tell({ type: 'started', pid });
  });

  const out = new RecordSplitter('stdout', writeLog);
  const err = new RecordSplitter('stderr', writeLog);
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => err.push(d));
  const ended = (s: NodeJS.ReadableStream | null): Promise<void> =>
    new Promise((r) => { if (!s) r(); else { s.once('close', () => r()); s.once('end', () => r()); } });
  const outputDone = Promise.all([ended(child.stdout), ended(child.stderr)]);

  child.on('exit', (code, signal) => {
    const finishedAt = new Date().toISOString();
    const pid = child.pid;
    // Whatever the main process left behind in its group goes with it.
    if (pid) { try { process.kill(-pid, 'SIGKILL'); } catch { /* none left */ } }
    const exitCode = code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0);
    // A process that escaped the group (setsid) could hold the pipes open forever: wait a little only.
    void Promise.race([outputDone, new Promise((r) => setTimeout(r, 2000))]).then(() => {
      out.end();
      err.end();
      try { closeSync(logFd); } catch { /* already closed */ }
      finish({ exitCode, ...(signal ? { signal } : {}), finishedAt, reason: exitCode === 0 ? 'Completed' : 'Error' });
      process.exit(0);
    });
  });
}

main();
