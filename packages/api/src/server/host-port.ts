// HOST:PORT flags, parsed the same way by every component.
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:6443", "[::1]:6443", ":6443" (all interfaces) → host and port; throws a one-line Error naming the flag. */
export function parseHostPort(text: string, flag: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d+)$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${flag}: expected HOST:PORT, got ${JSON.stringify(text)}`);
  }
  const host = m[1] ?? m[2] ?? '';
  return { host: host || '0.0.0.0', port };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}
