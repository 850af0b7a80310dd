// How an image's config (Entrypoint, Cmd, Env, WorkingDir, User) combines with a pod's
// container spec, by Kubernetes' rules. Pure functions.

export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/**
 * Kubernetes' command/args rules: `command` replaces the image's Entrypoint (and drops its
 * Cmd); `args` alone replace only the Cmd; neither runs Entrypoint + Cmd.
 */
export function resolveArgv(command: readonly string[], args: readonly string[], entrypoint: readonly string[] | null | undefined, cmd: readonly string[] | null | undefined): string[] {
  let argv: string[];
  if (command.length > 0) argv = [...command, ...args];
  else if (args.length > 0) argv = [...(entrypoint ?? []), ...args];
  else argv = [...(entrypoint ?? []), ...(cmd ?? [])];
  if (argv.length === 0) throw new ContainerConfigError('no command specified: the pod sets no command and the image has no Entrypoint or Cmd');
  return argv;
}

/** Image Env first, then the container's env, a later name replacing an earlier one in place. */
export function mergeEnv(imageEnv: readonly string[] | undefined, env: readonly { name: string; value: string }[], defaults: Record<string, string> = {}): string[] {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(defaults)) out.set(k, v);
  for (const kv of imageEnv ?? []) {
    const eq = kv.indexOf('=');
    if (eq > 0) out.set(kv.slice(0, eq), kv.slice(eq + 1));
    else if (eq < 0 && kv) out.set(kv, '');
  }
  for (const e of env) out.set(e.name, e.value);
  return [...out].map(([k, v]) => `${k}=${v}`);
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (Number.isInteger(uid) && Number.isInteger(gid)) out.push({ name: f[0]!, uid, gid, home: f[5]! });
  }
  return out;
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (Number.isInteger(gid)) out.push({ name: f[0]!, gid, members: f[3]!.split(',').filter(Boolean) });
  }
  return out;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** From /etc/passwd when the user has an entry; HOME is set from it. */
  home?: string;
}

export interface UserInput {
  /** The image config's User: "", "uid", "name", "uid:gid", "name:group". */
  imageUser?: string;
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: readonly number[];
  /** The container's /etc/passwd and /etc/group (undefined when missing). */
  passwd?: string | undefined;
  group?: string | undefined;
}

/**
 * The process user, as containerd's CRI plugin resolves it: runAsUser overrides the image's
 * user; names are looked up in the image's /etc/passwd and /etc/group; the primary group is
 * runAsGroup, else the one the user part names, else the passwd entry's, else 0.
 */
export function resolveUser(input: UserInput): ResolvedUser {
  const passwd = parsePasswd(input.passwd);
  const groups = parseGroup(input.group);
  const [userPart = '', groupPart] = (input.imageUser ?? '').split(':', 2);

  let uid: number;
  let entry: PasswdEntry | undefined;
  if (input.runAsUser !== undefined) {
    uid = input.runAsUser;
    entry = passwd.find((p) => p.uid === uid);
  } else if (userPart === '') {
    uid = 0;
    entry = passwd.find((p) => p.uid === 0);
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    if (!entry) throw new ContainerConfigError(`unable to find user ${userPart}: no matching entries in passwd file`);
    uid = entry.uid;
  }

  let gid: number;
  if (input.runAsGroup !== undefined) {
    gid = input.runAsGroup;
  } else if (groupPart !== undefined && groupPart !== '' && input.runAsUser === undefined) {
    if (/^\d+$/.test(groupPart)) {
      gid = Number(groupPart);
    } else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new ContainerConfigError(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
  } else {
    gid = entry?.gid ?? 0;
  }

  const additional = new Set<number>();
  if (entry) for (const g of groups) if (g.members.includes(entry.name) && g.gid !== gid) additional.add(g.gid);
  for (const g of input.supplementalGroups ?? []) if (g !== gid) additional.add(g);
  return { uid, gid, additionalGids: [...additional].sort((a, b) => a - b), ...(entry ? { home: entry.home } : {}) };
}
