// The proxy's nftables table, as text for `nft -f -`. Pure: the same Services give the same text.
//
// The layout is kube-proxy's nftables mode (pkg/proxy/nftables): one table per agent, traffic
// classified by verdict maps keyed on what a packet is addressed to, and one chain per Service
// port and per endpoint, so a change to one Service rewrites only that Service's chains and
// map elements:
//
//   prerouting (pods, outside) ─┐                      ┌─ service-ips  ClusterIP . proto . port ─▶ goto svc-<ns>/<name>/<proto>/<port>
//   output (host, process pods) ┴─ nat  ─▶ services ───┤  (external IPs and service-nodeports ─▶ goto ext-…: mark, then svc-…)
//                                                      └─ service-nodeports  proto . nodePort, on local addresses
//   svc-…  numgen random mod N vmap { 0 : goto ep-…__<ip>/<port>, … }   spread over ready endpoints
//   ep-…   ip saddr <ip> jump mark-for-masquerade (hairpin);  dnat to <ip>:<port>
//   postrouting: masquerade what was marked (hairpin, NodePort and external IPs)
//   input/forward/output, before DNAT: no-endpoint-services / -nodeports ─▶ reject (tcp reset, icmp port-unreachable)
//   forward/output, after DNAT: a ClusterIP nothing DNATed (a port it does not serve) ─▶ reject
//
// A full sync writes the whole table in one batch (created, deleted and written again, so
// nothing from before survives); a partial sync (`partialBatch`) flushes and refills only the
// chains whose rules changed and adds or deletes only the map elements that changed. Each
// batch is one transaction: packets see the old rules or the new, never half of them.
import { createHash } from 'node:crypto';
import type { ProxyEndpoint, ProxyService, ProxyServicePort } from './service-ports.js';

/** The packet mark bit that asks postrouting to masquerade (kube-proxy's default, bit 14). */
export const MASQUERADE_MARK = '0x4000';

/** Sets and verdict maps a Service puts elements in. `cluster-ips` is a set: its values are ''. */
export type ElementMap = 'cluster-ips' | 'service-ips' | 'service-nodeports' | 'no-endpoint-services' | 'no-endpoint-nodeports';
export const ELEMENT_MAPS: readonly ElementMap[] = ['cluster-ips', 'service-ips', 'service-nodeports', 'no-endpoint-services', 'no-endpoint-nodeports'];

export interface NodeFacts {
  /**
   * Addresses that accept NodePort traffic (`--nodeport-addresses`); undefined: every local
   * address except loopback, as kube-proxy without the flag.
   */
  readonly nodePortIPs?: readonly string[];
}

export interface Chain {
  readonly name: string;
  readonly rules: readonly string[];
  /** A hash of the rules: what the proxy keeps to tell a changed chain from an unchanged one. */
  readonly hash: string;
}

export interface Element {
  readonly map: ElementMap;
  /** nft's text for the key, e.g. `198.19.0.10 . tcp . 80`. */
  readonly key: string;
  /** nft's text for the verdict, e.g. `goto svc-default/web/tcp/http`; '' for a set. */
  readonly value: string;
}

/** Everything one Service puts in the table. */
export interface ServiceRules {
  /** `namespace/name`. */
  readonly key: string;
  readonly chains: readonly Chain[];
  readonly elements: readonly Element[];
}

/** The whole table's Service part: what a sync wants, and (kept between syncs) what the kernel has. */
export interface RulesetState {
  readonly chains: ReadonlyMap<string, Chain>;
  readonly elements: ReadonlyMap<ElementMap, ReadonlyMap<string, string>>;
}

export const REJECT_CHAIN = 'reject-chain';
export const MARK_CHAIN = 'mark-for-masquerade';

function hashRules(rules: readonly string[]): string {
  return createHash('sha256').update(rules.join('\n')).digest('base64url').slice(0, 16);
}

function chain(name: string, rules: readonly string[]): Chain {
  return { name, rules, hash: hashRules(rules) };
}

/** `<ns>/<name>/<proto>/<port>`: nft chain names allow `/`, which no Kubernetes name holds. */
function portBase(svc: ProxyService, p: ProxyServicePort): string {
  return `${svc.namespace}/${svc.name}/${p.protocol}/${p.name}`;
}

export const serviceChainName = (svc: ProxyService, p: ProxyServicePort): string => `svc-${portBase(svc, p)}`;
export const externalChainName = (svc: ProxyService, p: ProxyServicePort): string => `ext-${portBase(svc, p)}`;
export const endpointChainName = (svc: ProxyService, p: ProxyServicePort, e: ProxyEndpoint): string => `ep-${portBase(svc, p)}__${e.ip}/${e.port}`;

/** The chains and map elements of one Service. Pure. */
export function serviceRules(svc: ProxyService): ServiceRules {
  const chains: Chain[] = [];
  const elements: Element[] = [{ map: 'cluster-ips', key: svc.clusterIP, value: '' }];
  for (const p of svc.ports) {
    const svcChain = serviceChainName(svc, p);
    const extChain = externalChainName(svc, p);
    const exposed = p.nodePort !== undefined || svc.externalIPs.length > 0;
    if (p.endpoints.length === 0) {
      // Nothing to send it to: refused (filter hooks), as kube-proxy does.
      const reject = `goto ${REJECT_CHAIN}`;
      elements.push({ map: 'no-endpoint-services', key: `${svc.clusterIP} . ${p.protocol} . ${p.port}`, value: reject });
      for (const ip of svc.externalIPs) elements.push({ map: 'no-endpoint-services', key: `${ip} . ${p.protocol} . ${p.port}`, value: reject });
      if (p.nodePort !== undefined) elements.push({ map: 'no-endpoint-nodeports', key: `${p.protocol} . ${p.nodePort}`, value: reject });
      continue;
    }
    const targets: string[] = [];
    for (const e of p.endpoints) {
      const name = endpointChainName(svc, p, e);
      targets.push(name);
      chains.push(chain(name, [
        // Hairpin: a pod reaching itself through its Service must see the reply come from
        // the Service, so its own address is masqueraded away.
        `ip saddr ${e.ip} jump ${MARK_CHAIN}`,
        `meta l4proto ${p.protocol} dnat to ${e.ip}:${e.port}`,
      ]));
    }
    chains.push(chain(svcChain, [
      targets.length === 1 ? `goto ${targets[0]}` : `numgen random mod ${targets.length} vmap { ${targets.map((t, i) => `${i} : goto ${t}`).join(', ')} }`,
    ]));
    elements.push({ map: 'service-ips', key: `${svc.clusterIP} . ${p.protocol} . ${p.port}`, value: `goto ${svcChain}` });
    if (exposed) {
      // Traffic from outside may be sent on to another node: masquerade it so the reply comes
      // back through this one to be un-NATed.
      chains.push(chain(extChain, [`jump ${MARK_CHAIN}`, `goto ${svcChain}`]));
      for (const ip of svc.externalIPs) elements.push({ map: 'service-ips', key: `${ip} . ${p.protocol} . ${p.port}`, value: `goto ${extChain}` });
      if (p.nodePort !== undefined) elements.push({ map: 'service-nodeports', key: `${p.protocol} . ${p.nodePort}`, value: `goto ${extChain}` });
    }
  }
  return { key: `${svc.namespace}/${svc.name}`, chains, elements };
}

/** The table's Service part from every Service's rules. Two claims on one element key (never from the API's allocators): the first wins. */
export function desiredState(services: Iterable<ServiceRules>): RulesetState {
  const chains = new Map<string, Chain>();
  const elements = new Map<ElementMap, Map<string, string>>(ELEMENT_MAPS.map((m) => [m, new Map<string, string>()]));
  for (const s of services) {
    for (const c of s.chains) chains.set(c.name, c);
    for (const e of s.elements) {
      const m = elements.get(e.map);
      if (m && !m.has(e.key)) m.set(e.key, e.value);
    }
  }
  return { chains, elements };
}

export const EMPTY_STATE: RulesetState = desiredState([]);

/** The fixed part of the table: hooks, dispatch, masquerading, rejecting. */
function skeleton(facts: NodeFacts, comment: string): string[] {
  const nodePortMatch = facts.nodePortIPs ? 'ip daddr @nodeport-ips' : 'fib daddr type local ip daddr != 127.0.0.0/8';
  const lines = [
    `comment ${JSON.stringify(comment)}`,
    'set cluster-ips {',
    '\ttype ipv4_addr',
    '\tcomment "ClusterIPs, to refuse ports they do not serve"',
    '}',
  ];
  if (facts.nodePortIPs) {
    lines.push('set nodeport-ips {', '\ttype ipv4_addr', '\tcomment "addresses that accept NodePort traffic (--nodeport-addresses)"');
    if (facts.nodePortIPs.length) lines.push(`\telements = { ${facts.nodePortIPs.join(', ')} }`);
    lines.push('}');
  }
  const map = (name: string, type: string, comment: string): string[] => [`map ${name} {`, `\ttype ${type} : verdict`, `\tcomment ${JSON.stringify(comment)}`, '}'];
  lines.push(
    ...map('service-ips', 'ipv4_addr . inet_proto . inet_service', 'ClusterIP and external IP traffic'),
    ...map('service-nodeports', 'inet_proto . inet_service', 'NodePort traffic'),
    ...map('no-endpoint-services', 'ipv4_addr . inet_proto . inet_service', 'Services without endpoints: refused'),
    ...map('no-endpoint-nodeports', 'inet_proto . inet_service', 'NodePorts without endpoints: refused'),
  );
  const base = (name: string, spec: string, rules: string[]): string[] => [`chain ${name} {`, `\t${spec}`, ...rules.map((r) => `\t${r}`), '}'];
  // Filters that look at the address a packet was sent to run before DNAT (dstnat is -100);
  // the one that refuses ClusterIP ports nothing serves runs after it. nft names dstnat only
  // for prerouting, so output and the filters say the number.
  lines.push(
    ...base('nat-prerouting', 'type nat hook prerouting priority dstnat; policy accept;', ['jump services']),
    ...base('nat-output', 'type nat hook output priority -100; policy accept;', ['jump services']),
    ...base('nat-postrouting', 'type nat hook postrouting priority srcnat; policy accept;', ['jump masquerading']),
    ...base('filter-input', 'type filter hook input priority -110; policy accept;', ['ct state new jump endpoints-check']),
    ...base('filter-forward', 'type filter hook forward priority -110; policy accept;', ['ct state new jump endpoints-check', 'ct state new jump cluster-ips-check']),
    ...base('filter-output', 'type filter hook output priority -110; policy accept;', ['ct state new jump endpoints-check']),
    ...base('filter-output-post-dnat', 'type filter hook output priority -90; policy accept;', ['ct state new jump cluster-ips-check']),
    'chain services {',
    '\tip daddr . meta l4proto . th dport vmap @service-ips',
    `\t${nodePortMatch} meta l4proto . th dport vmap @service-nodeports`,
    '}',
    'chain endpoints-check {',
    '\tip daddr . meta l4proto . th dport vmap @no-endpoint-services',
    `\t${nodePortMatch} meta l4proto . th dport vmap @no-endpoint-nodeports`,
    '}',
    'chain cluster-ips-check {',
    `\tip daddr @cluster-ips goto ${REJECT_CHAIN}`,
    '}',
    `chain ${MARK_CHAIN} {`,
    `\tmeta mark set meta mark or ${MASQUERADE_MARK}`,
    '}',
    'chain masquerading {',
    `\tmeta mark & ${MASQUERADE_MARK} == 0 return`,
    `\tmeta mark set meta mark xor ${MASQUERADE_MARK}`,
    '\tmasquerade fully-random',
    '}',
    // Refused at once: a TCP reset, else ICMP port-unreachable (kube-proxy's plain reject).
    // Not host-unreachable: Linux hands that to a UDP socket only with IP_RECVERR, so a
    // client would wait for its timeout instead of being told.
    `chain ${REJECT_CHAIN} {`,
    '\tmeta l4proto tcp reject with tcp reset',
    '\treject with icmp type port-unreachable',
    '}',
  );
  return lines;
}

const elementText = (map: ElementMap, key: string, value: string): string => (map === 'cluster-ips' ? key : `${key} : ${value}`);

/** `add|delete element ip T map { a, b, … }` lines, a few thousand elements to a line. */
function elementLines(verb: 'add' | 'delete', table: string, map: ElementMap, items: ReadonlyArray<readonly [string, string]>): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += 2000) {
    const part = items.slice(i, i + 2000).map(([k, v]) => (verb === 'delete' ? k : elementText(map, k, v)));
    out.push(`${verb} element ip ${table} ${map} { ${part.join(', ')} }`);
  }
  return out;
}

/**
 * The whole table in one batch: made if missing, deleted and written again, so whatever was
 * in it before (another run's chains, a hand edit) is gone in the same transaction. Pure.
 */
export function fullRuleset(table: string, facts: NodeFacts, state: RulesetState, comment = 'tugboat service proxy'): string {
  const lines = [`table ip ${table} {}`, `delete table ip ${table}`, `table ip ${table} {`];
  for (const l of skeleton(facts, comment)) lines.push(`\t${l}`);
  for (const c of state.chains.values()) {
    lines.push(`\tchain ${c.name} {`);
    for (const r of c.rules) lines.push(`\t\t${r}`);
    lines.push('\t}');
  }
  lines.push('}');
  for (const [map, elements] of state.elements) lines.push(...elementLines('add', table, map, [...elements]));
  return `${lines.join('\n')}\n`;
}

export interface Batch {
  /** What to give `nft -f -`; '' when nothing changed. */
  readonly text: string;
  /** Chains no Service uses any more: flushed by this batch, to be deleted by a later one. */
  readonly removedChains: readonly string[];
  readonly writtenChains: number;
  readonly changedElements: number;
}

/**
 * The least that takes the kernel from `applied` to `desired`: elements that went or changed
 * are deleted first (they may point at chains about to be flushed); chains that are new or
 * whose rules changed are all declared, then flushed and refilled (a Service chain's vmap
 * names its endpoint chains), before the elements that point at them are added; chains
 * nothing uses any more are flushed. They are not deleted here: before Linux 6.2 the kernel
 * notices only a moment later that a deleted map element no longer references a chain, and
 * deleting it in the same batch fails (kube-proxy waits a second; see staleChainBatch). Pure.
 */
export function partialBatch(table: string, applied: RulesetState, desired: RulesetState): Batch {
  const lines: string[] = [];
  let changedElements = 0;
  const adds: Array<[ElementMap, Array<[string, string]>]> = [];
  for (const map of ELEMENT_MAPS) {
    const have = applied.elements.get(map) ?? new Map<string, string>();
    const want = desired.elements.get(map) ?? new Map<string, string>();
    const gone: Array<[string, string]> = [];
    for (const [k, v] of have) if (want.get(k) !== v) gone.push([k, v]);
    const added: Array<[string, string]> = [];
    for (const [k, v] of want) if (have.get(k) !== v) added.push([k, v]);
    lines.push(...elementLines('delete', table, map, gone));
    adds.push([map, added]);
    changedElements += gone.length + added.length;
  }
  const written = [...desired.chains.values()].filter((c) => applied.chains.get(c.name)?.hash !== c.hash);
  // Declared first, so a vmap may name a chain whatever order they are filled in.
  for (const c of written) lines.push(`add chain ip ${table} ${c.name}`);
  for (const c of written) {
    if (applied.chains.has(c.name)) lines.push(`flush chain ip ${table} ${c.name}`);
    for (const r of c.rules) lines.push(`add rule ip ${table} ${c.name} ${r}`);
  }
  for (const [map, added] of adds) lines.push(...elementLines('add', table, map, added));
  const removedChains = [...applied.chains.keys()].filter((name) => !desired.chains.has(name));
  for (const name of removedChains) lines.push(`flush chain ip ${table} ${name}`);
  return { text: lines.length ? `${lines.join('\n')}\n` : '', removedChains, writtenChains: written.length, changedElements };
}

/** Deletes chains that partialBatch flushed a while ago (and nothing uses since). Pure. */
export function staleChainBatch(table: string, chains: readonly string[]): string {
  return chains.length ? `${chains.map((c) => `delete chain ip ${table} ${c}`).join('\n')}\n` : '';
}

/** One agent's table: `tugboat-proxy-<hash>`, of the node name and the agent's data dir, so agents of two local clusters sharing a network namespace never share a table. */
export function proxyTableName(nodeName: string, scope = ''): string {
  return `tugboat-proxy-${createHash('sha256').update(`${nodeName}\0${scope}`).digest('hex').slice(0, 8)}`;
}
