// The only place the proxy touches nftables: a batch goes to `nft -f -` (one transaction: all
// of it applies or none does), and a table can be read back. `netns` runs nft in a named
// network namespace (tests, the bench) instead of the agent's own.
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { run, type RunResult } from '../../system/subprocess.js';

export class NftError extends Error {
  override readonly name = 'NftError';
}

/** nft's complaint in one line: the error, and the statement it was about (trimmed). */
function oneLine(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /Error:/.test(l)) ?? lines[0] ?? 'failed';
  const at = lines[lines.indexOf(error) + 1];
  const where = at && !/^[\^~ ]+$/.test(at) ? ` (at: ${at.length > 160 ? `${at.slice(0, 160)}…` : at})` : '';
  return `${error.replace(/^\/dev\/stdin:[\d:-]+:\s*/, '')}${where}`;
}

let resolved: string | null | undefined;

/**
 * nftables' `nft`, by absolute path: the system's sbin directories first, then PATH, and only
 * a binary that says it is nftables — under `npx`, PATH starts with node_modules/.bin, where
 * @vercel/nft (a JavaScript file tracer) is also called `nft`.
 */
export function nftBinary(): string | undefined {
  if (resolved !== undefined) return resolved ?? undefined;
  const dirs = ['/usr/sbin', '/sbin', '/usr/local/sbin', ...(process.env['PATH'] ?? '').split(delimiter).filter((d) => d && !d.includes('node_modules'))];
  resolved = null;
  for (const dir of new Set(dirs)) {
    const path = join(dir, 'nft');
    const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
    if (r.status === 0 && /^nftables v/.test(r.stdout)) {
      resolved = path;
      break;
    }
  }
  return resolved ?? undefined;
}

/** Whether nftables' `nft` can be run at all. */
export function nftInstalled(): boolean {
  return nftBinary() !== undefined;
}

export class Nft {
  constructor(private readonly netns?: string) {}

  private exec(args: readonly string[], input?: string): Promise<RunResult> {
    const nft = nftBinary();
    if (!nft) return Promise.reject(new NftError('nft (nftables) is not installed'));
    const [cmd, argv] = this.netns ? ['ip', ['netns', 'exec', this.netns, nft, ...args]] : [nft, [...args]];
    return run(cmd, argv, input === undefined ? {} : { input }).catch((e: unknown) => {
      throw new NftError(`${cmd}: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  /** Applies one batch atomically; throws NftError with nft's message in one line. */
  async apply(batch: string): Promise<void> {
    if (!batch) return;
    const res = await this.exec(['-f', '-'], batch);
    if (res.code !== 0) throw new NftError(`nft -f: ${oneLine(res.stderr)}`);
  }

  /** `nft list table ip <table>`, or undefined when there is no such table. */
  async listTable(table: string): Promise<string | undefined> {
    const res = await this.exec(['list', 'table', 'ip', table]);
    if (res.code === 0) return res.stdout;
    if (/No such file or directory/.test(res.stderr)) return undefined;
    throw new NftError(`nft list table ip ${table}: ${oneLine(res.stderr)}`);
  }

  async hasTable(table: string): Promise<boolean> {
    const res = await this.exec(['list', 'tables', 'ip']);
    if (res.code !== 0) throw new NftError(`nft list tables: ${oneLine(res.stderr)}`);
    return res.stdout.split('\n').some((l) => l.trim() === `table ip ${table}`);
  }

  /** Deletes the table; a missing one is fine. */
  async deleteTable(table: string): Promise<void> {
    await this.apply(`table ip ${table} {}\ndelete table ip ${table}\n`);
  }
}
