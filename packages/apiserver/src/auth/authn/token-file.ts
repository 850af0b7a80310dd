// Static bearer tokens from a CSV file (Kubernetes' --token-auth-file):
//   token,user,uid,"group1,group2"
// One line each; blank lines and lines starting with # are ignored. Meant for bootstrapping
// and tests; ServiceAccount tokens are the way for everything else.
import { readFileSync } from 'node:fs';
import { GROUP_AUTHENTICATED, type UserInfo } from '@tugboat/api';
import type { TokenAuthenticator, TokenResult } from './token-authenticator.js';

/** Splits one CSV record, with "quoted, fields" and "" for a quote. */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

export function parseTokenFile(text: string, file: string): Map<string, UserInfo> {
  const users = new Map<string, UserInfo>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [token, user, uid, groups] = csvFields(line);
    const where = `${file}:${i + 1}`;
    if (!token || !user) throw new Error(`--token-auth-file ${where}: expected token,user[,uid[,"group1,group2"]]`);
    if (users.has(token)) throw new Error(`--token-auth-file ${where}: duplicate token`);
    const g = (groups ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    users.set(token, { username: user, ...(uid ? { uid } : {}), groups: [...g, GROUP_AUTHENTICATED] });
  });
  return users;
}

export class StaticTokenAuthenticator implements TokenAuthenticator {
  constructor(private readonly users: ReadonlyMap<string, UserInfo>) {}

  static fromFile(path: string): StaticTokenAuthenticator {
    return new StaticTokenAuthenticator(parseTokenFile(readFileSync(path, 'utf8'), path));
  }

  authenticate(token: string): Promise<TokenResult> {
    const user = this.users.get(token);
    return Promise.resolve(user ? { user } : undefined);
  }
}
