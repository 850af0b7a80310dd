// IPv4 addresses and CIDRs as 32-bit numbers: what the address allocators (node pod CIDRs in the
// controllers) and the network code need, in one place. Everything Tugboat hands out is IPv4
// (inside 198.18.0.0/15), so there is no IPv6 here.

/** "198.18.0.1" → 3323068417; undefined unless four decimal octets 0–255. */
export function parseIPv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const o = m.slice(1, 5).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return (((o[0] ?? 0) << 24) | ((o[1] ?? 0) << 16) | ((o[2] ?? 0) << 8) | (o[3] ?? 0)) >>> 0;
}

export function formatIPv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

export interface IPv4Cidr {
  /** The network address (host bits cleared). */
  readonly base: number;
  readonly prefix: number;
}

/** "198.18.0.0/16" → { base, prefix }; host bits are cleared, as Go's net.ParseCIDR does. */
export function parseIPv4Cidr(text: string): IPv4Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIPv4(m[1] ?? '');
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > 32) return undefined;
  return { base: (ip & prefixMask(prefix)) >>> 0, prefix };
}

export function formatIPv4Cidr(c: IPv4Cidr): string {
  return `${formatIPv4(c.base)}/${c.prefix}`;
}

/** The netmask of a prefix length as a number (/24 → 0xffffff00). */
export function prefixMask(prefix: number): number {
  return prefix <= 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** How many addresses a prefix length spans (/24 → 256). */
export function cidrSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

/** Whether `ip` (text) is an IPv4 address inside `cidr` (text); false for anything that does not parse. */
export function ipv4InCidr(ip: string, cidr: string): boolean {
  const a = parseIPv4(ip);
  const c = parseIPv4Cidr(cidr);
  return a !== undefined && c !== undefined && ((a & prefixMask(c.prefix)) >>> 0) === c.base;
}
