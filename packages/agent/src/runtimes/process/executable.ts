// The checks a container start needs before anything is spawned, with the messages runc and
// Go's exec give (users search for those): a command that is not there or not executable,
// and a working directory that does not exist.
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type StartCheck = { ok: true; executable: string } | { ok: false; message: string };

function isExecutableFile(path: string): 'ok' | 'missing' | 'not-executable' | 'directory' {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return 'directory';
    accessSync(path, constants.X_OK);
    return 'ok';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EACCES' ? 'not-executable' : 'missing';
  }
}

/** Finds argv[0] as execvp would: a path when it holds '/', else the first match in PATH. */
export function resolveExecutable(command: string, pathEnv: string, cwd: string): StartCheck {
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(cwd, command);
    switch (isExecutableFile(p)) {
      case 'ok': return { ok: true, executable: p };
      case 'missing': return { ok: false, message: `exec: "${command}": stat ${p}: no such file or directory` };
      case 'not-executable': return { ok: false, message: `exec: "${command}": permission denied` };
      case 'directory': return { ok: false, message: `exec: "${command}": is a directory` };
    }
  }
  for (const dir of pathEnv.split(':')) {
    const p = resolve(cwd, join(dir || '.', command));
    if (isExecutableFile(p) === 'ok') return { ok: true, executable: p };
  }
  return { ok: false, message: `exec: "${command}": executable file not found in $PATH` };
}

/** Everything that must hold for the container's process to start. */
export function checkStart(containerName: string, argv: readonly string[], pathEnv: string, workingDir: string): StartCheck {
  const fail = (m: string): StartCheck => ({ ok: false, message: `failed to start container "${containerName}": ${m}` });
  const command = argv[0];
  if (command === undefined || command === '') {
    return fail('no command specified (the process runtime runs the container\'s command and args on the host; it does not read images)');
  }
  try {
    if (!statSync(workingDir).isDirectory()) return fail(`chdir to cwd ("${workingDir}"): not a directory`);
  } catch {
    return fail(`chdir to cwd ("${workingDir}"): no such file or directory`);
  }
  const r = resolveExecutable(command, pathEnv, workingDir);
  return r.ok ? r : fail(r.message);
}
