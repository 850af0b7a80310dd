// Keeps this host's routes to other nodes' pod networks, and its pods' masquerade rule, in line
// with the Node objects (see host-gw.ts for what and why). Level-triggered: every change of any
// Node schedules one sync (a burst within 50 ms is one), and a sync compares the routes the
// kernel has (ours, by protocol number) with the routes the Nodes call for.
import { Informer, type KubeObject, type Node, type TugboatClient } from '@tugboat/api';
import { run } from '../../system/subprocess.js';
import { Nft } from '../proxy/nft.js';
import { localIPv4Addresses } from '../local-addresses.js';
import { ROUTE_PROTO, desiredRoutes, masqueradeRuleset, routeChanges, tableName } from './host-gw.js';

type NodeObject = Node & KubeObject;

export interface RouterOptions {
  /** A client that may list and watch Nodes (the agent's system:kube-proxy identity). */
  readonly client: TugboatClient;
  readonly nodeName: string;
  readonly log: (line: string) => void;
  /** Test hook: the host's own addresses (default: its interfaces'). */
  readonly localAddresses?: () => ReadonlySet<string>;
  /** What names our nft table besides the node (its data dir: two local clusters' node-1 share a network). */
  readonly tableKey?: string;
  /** Test hook: act in this network namespace instead of the agent's own. */
  readonly netns?: string;
}

/** Our routes in the kernel now: pod CIDR → via. */
async function currentRoutes(ip: (args: string[]) => ReturnType<typeof run>): Promise<Map<string, string>> {
  const res = await ip(['-4', '-j', 'route', 'show', 'proto', String(ROUTE_PROTO)]);
  if (res.code !== 0) throw new Error(`ip route show: ${res.stderr.trim()}`);
  const out = new Map<string, string>();
  for (const r of JSON.parse(res.stdout || '[]') as { dst?: string; gateway?: string }[]) {
    if (r.dst && r.gateway) out.set(r.dst, r.gateway);
  }
  return out;
}

export class HostGwRouter {
  private readonly nodes: Informer<NodeObject>;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> = Promise.resolve();
  private lastError = '';
  private lastRuleset = '';
  private stopped = false;
  private readonly table: string;
  private readonly ip: (args: string[]) => ReturnType<typeof run>;
  private readonly nft: Nft;

  constructor(private readonly options: RouterOptions) {
    this.table = tableName(options.tableKey ?? options.nodeName);
    const ns = options.netns;
    this.ip = (args) => run('ip', ns ? ['-n', ns, ...args] : args);
    this.nft = new Nft(ns);
    this.nodes = new Informer<NodeObject>(options.client, 'nodes');
    const changed = (): void => this.schedule();
    this.nodes.onAdd(changed).onUpdate(changed).onDelete(changed);
  }

  async start(): Promise<void> {
    await this.nodes.start();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.nodes.stop();
    await this.syncing;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.syncing = this.syncing.then(() => this.sync()).catch((e: unknown) => this.failed(e));
    }, 50);
  }

  private failed(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg !== this.lastError) this.options.log(`pod network routes: ${msg} (trying again)`);
    this.lastError = msg;
    // Try again: a route whose gateway is not up yet (the peer's link) may take a moment.
    if (!this.stopped) setTimeout(() => this.schedule(), 1_000).unref();
  }

  /** One pass: routes to peers' pod CIDRs, then the masquerade table. */
  async sync(): Promise<void> {
    const nodes = this.nodes.list();
    // A node whose InternalIP is one of ours shares this network: no route to it.
    const local = this.options.localAddresses?.() ?? new Set(localIPv4Addresses());
    const desired = desiredRoutes(nodes, this.options.nodeName, local);
    const { replace, remove } = routeChanges(await currentRoutes(this.ip), desired);
    for (const r of replace) {
      const res = await this.ip(['-4', 'route', 'replace', r.cidr, 'via', r.via, 'proto', String(ROUTE_PROTO)]);
      if (res.code !== 0) throw new Error(`ip route replace ${r.cidr} via ${r.via} (node ${r.node}): ${res.stderr.trim()}`);
      this.options.log(`route to node ${r.node}'s pods ${r.cidr} via ${r.via}`);
    }
    for (const cidr of remove) {
      const res = await this.ip(['-4', 'route', 'del', cidr, 'proto', String(ROUTE_PROTO)]);
      if (res.code !== 0 && !/No such process/.test(res.stderr)) throw new Error(`ip route del ${cidr}: ${res.stderr.trim()}`);
      this.options.log(`route to ${cidr} removed (its node is gone or has no pod network)`);
    }
    const own = nodes.find((n) => n.metadata?.name === this.options.nodeName)?.spec?.podCIDR;
    const ruleset = masqueradeRuleset(this.table, own, nodes.map((n) => n.spec?.podCIDR).filter((c): c is string => !!c));
    if (ruleset !== this.lastRuleset) {
      await this.nft.apply(ruleset);
      this.lastRuleset = ruleset;
    }
    if (this.lastError) this.options.log('pod network routes: in line again');
    this.lastError = '';
  }

  /** Removes our table (agent shutdown leaves routes: pods keep talking while it restarts). */
  async removeRules(): Promise<void> {
    await this.nft.deleteTable(this.table);
  }
}
