// The node IPAM allocator (Kubernetes' cidrset): the cluster CIDR cut into blocks of the node
// mask size, one bit per block. Blocks are handed out in order from a moving cursor, so a block
// just released is not handed out again at once (a node deleted and a new one registered in
// the same second do not share routes in flight). Pure: no API, no clock.
import { cidrSize, formatIPv4Cidr, parseIPv4Cidr, prefixMask, type IPv4Cidr } from '@tugboat/api';

/** Blocks per cluster CIDR are bounded so the bitmap stays small (2^24 bits = 2 MiB). */
export const MAX_PREFIX_DIFFERENCE = 24;

export class CidrSet {
  readonly cluster: IPv4Cidr;
  readonly nodePrefix: number;
  /** How many blocks the cluster CIDR holds. */
  readonly size: number;
  private readonly used: Uint8Array;
  private allocatedCount = 0;
  private nextCandidate = 0;

  /** Throws a one-line Error when the node prefix does not fit the cluster CIDR. */
  constructor(cluster: IPv4Cidr, nodePrefix: number) {
    if (!Number.isInteger(nodePrefix) || nodePrefix < cluster.prefix || nodePrefix > 32) {
      throw new Error(`node CIDR mask size /${nodePrefix} must be between the cluster CIDR's /${cluster.prefix} and /32`);
    }
    if (nodePrefix - cluster.prefix > MAX_PREFIX_DIFFERENCE) {
      throw new Error(`node CIDR mask size /${nodePrefix} is more than ${MAX_PREFIX_DIFFERENCE} bits longer than the cluster CIDR's /${cluster.prefix}`);
    }
    this.cluster = cluster;
    this.nodePrefix = nodePrefix;
    this.size = 2 ** (nodePrefix - cluster.prefix);
    this.used = new Uint8Array(Math.ceil(this.size / 8));
  }

  allocated(): number {
    return this.allocatedCount;
  }

  /** The next free block ("198.18.3.0/24"), marked taken; undefined when every block is taken. */
  allocateNext(): string | undefined {
    if (this.allocatedCount >= this.size) return undefined;
    let candidate = this.nextCandidate;
    for (let i = 0; i < this.size; i++) {
      if (!this.bit(candidate)) break;
      candidate = (candidate + 1) % this.size;
    }
    this.nextCandidate = (candidate + 1) % this.size;
    this.setBit(candidate, true);
    return this.blockText(candidate);
  }

  /**
   * Marks every block `cidr` covers as taken (a podCIDR smaller than a block takes its whole
   * block; a larger one every block inside it). False when `cidr` is not a CIDR or does not
   * overlap the cluster CIDR: then nothing is marked.
   */
  occupy(cidr: string): boolean {
    const range = this.blockRange(cidr);
    if (!range) return false;
    for (let i = range.begin; i <= range.end; i++) this.setBit(i, true);
    return true;
  }

  /** Gives back every block `cidr` covers. False (nothing done) when it is outside the cluster CIDR. */
  release(cidr: string): boolean {
    const range = this.blockRange(cidr);
    if (!range) return false;
    for (let i = range.begin; i <= range.end; i++) this.setBit(i, false);
    return true;
  }

  /** Whether every block `cidr` covers is taken (false outside the cluster CIDR). */
  isTaken(cidr: string): boolean {
    const range = this.blockRange(cidr);
    if (!range) return false;
    for (let i = range.begin; i <= range.end; i++) if (!this.bit(i)) return false;
    return true;
  }

  /** Whether `cidr` parses and overlaps the cluster CIDR. */
  overlaps(cidr: string): boolean {
    return this.blockRange(cidr) !== undefined;
  }

  private blockRange(text: string): { begin: number; end: number } | undefined {
    const c = parseIPv4Cidr(text);
    if (!c) return undefined;
    if (c.prefix <= this.cluster.prefix) {
      // As large as the cluster CIDR or larger: covers all of it, or none.
      return ((this.cluster.base & prefixMask(c.prefix)) >>> 0) === c.base ? { begin: 0, end: this.size - 1 } : undefined;
    }
    if (((c.base & prefixMask(this.cluster.prefix)) >>> 0) !== this.cluster.base) return undefined;
    const last = c.base + cidrSize(c.prefix) - 1;
    return { begin: this.indexOf(c.base), end: this.indexOf(last) };
  }

  private indexOf(ip: number): number {
    const shift = 32 - this.nodePrefix;
    // Within the cluster CIDR the offset fits in 32 bits; division keeps it unsigned.
    return Math.floor((ip - this.cluster.base) / 2 ** shift);
  }

  private blockText(index: number): string {
    return formatIPv4Cidr({ base: this.cluster.base + index * cidrSize(this.nodePrefix), prefix: this.nodePrefix });
  }

  private bit(i: number): boolean {
    return ((this.used[i >> 3] ?? 0) & (1 << (i & 7))) !== 0;
  }

  private setBit(i: number, on: boolean): void {
    const was = this.bit(i);
    if (was === on) return;
    const byte = this.used[i >> 3] ?? 0;
    this.used[i >> 3] = on ? byte | (1 << (i & 7)) : byte & ~(1 << (i & 7));
    this.allocatedCount += on ? 1 : -1;
  }
}
