// `tctl expose deployment|replicaset|pod|service NAME --port P`: a new Service for the pods an
// object selects, as kubectl expose makes it. The selector is the object's (a deployment's or
// replica set's matchLabels, a pod's labels, a Service's selector); ports, their protocols and
// the labels are taken from the object where the flags leave them out.
import type { Deployment, KubeObject, LabelSelector, LabelSelectorRequirement, Pod, PodSpec, ReplicaSet, Service, ServicePort } from '@tugboat/api';
import { defineCommand } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { formatObjects, parseOutput } from '../printers/output.js';
import { parseResourceArgs } from '../resource-args.js';
import { parseDryRun } from './apply.js';

/** What can be exposed (kubectl's CanBeExposed, less the kinds Tugboat does not have). */
const EXPOSABLE = ['deployments', 'replicasets', 'pods', 'services'];
/** A Service name is a DNS-1035 label: at most 63 characters. */
const MAX_NAME = 63;

/** Go's %+v of match expressions, as kubectl's message shows them. */
function goExpressions(exprs: readonly LabelSelectorRequirement[]): string {
  return `[${exprs.map((e) => `{Key:${e.key} Operator:${e.operator} Values:[${(e.values ?? []).join(' ')}]}`).join(' ')}]`;
}

function workloadSelector(kind: 'deployment' | 'replicaset', sel: LabelSelector | undefined): Record<string, string> {
  if (!sel || Object.keys(sel.matchLabels ?? {}).length === 0) throw new CliError(`invalid ${kind}: no selectors, therefore cannot be exposed`);
  if (sel.matchExpressions?.length) throw new CliError(`couldn't convert expressions - "${goExpressions(sel.matchExpressions)}" to map-based selector format`);
  return { ...sel.matchLabels };
}

/** kubectl's MapBasedSelectorForObject: the equality selector the new Service takes. */
export function selectorOf(obj: KubeObject): Record<string, string> {
  switch (obj.kind) {
    case 'Deployment': return workloadSelector('deployment', (obj as Deployment).spec?.selector);
    case 'ReplicaSet': return workloadSelector('replicaset', (obj as ReplicaSet).spec?.selector);
    case 'Pod': {
      const labels = obj.metadata?.labels ?? {};
      if (Object.keys(labels).length === 0) throw new CliError('the pod has no labels and cannot be exposed');
      return { ...labels };
    }
    case 'Service': {
      const sel = (obj as Service).spec?.selector;
      if (!sel) throw new CliError('the service has no pod selector set');
      return { ...sel };
    }
    default: throw new CliError(`cannot extract pod selector from ${obj.kind ?? 'an object'}`);
  }
}

function podSpecOf(obj: KubeObject): PodSpec | undefined {
  switch (obj.kind) {
    case 'Deployment': return (obj as Deployment).spec?.template.spec;
    case 'ReplicaSet': return (obj as ReplicaSet).spec?.template?.spec;
    case 'Pod': return (obj as Pod).spec;
    default: return undefined;
  }
}

/**
 * The object's ports, each once, in order, with every protocol it is served on (kubectl's
 * PortsForObject and MultiProtocolsForObject): containers' ports, or a Service's.
 */
export function portsOf(obj: KubeObject): Map<number, string[]> {
  const out = new Map<number, string[]>();
  const add = (port: number, protocol: string | undefined): void => {
    const list = out.get(port) ?? [];
    list.push(protocol || 'TCP');
    out.set(port, list);
  };
  if (obj.kind === 'Service') for (const p of (obj as Service).spec?.ports ?? []) add(p.port, p.protocol);
  else for (const c of podSpecOf(obj)?.containers ?? []) for (const p of c.ports ?? []) add(p.containerPort, p.protocol);
  return out;
}

/** `a=b,c=d` (kubectl expose's --selector and --labels: equality only). */
function parseLabelFlag(text: string, flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',')) {
    const kv = part.split('=');
    if (kv.length !== 2) throw new UsageError(`${flag}: unexpected label spec: ${part}`);
    if (!kv[0]) throw new UsageError(`${flag}: unexpected empty label key`);
    out[kv[0]] = kv[1]!;
  }
  return out;
}

export interface ExposeOptions {
  port?: string | undefined;
  targetPort?: string | undefined;
  protocol?: string | undefined;
  type?: string | undefined;
  name?: string | undefined;
  selector?: string | undefined;
  labels?: string | undefined;
  clusterIP?: string | undefined;
  externalIP?: string | undefined;
  sessionAffinity?: string | undefined;
}

/** The Service `kubectl expose` would make for `obj` (pure). */
export function serviceFor(obj: KubeObject, o: ExposeOptions): Service & KubeObject {
  const selector = o.selector ? parseLabelFlag(o.selector, '--selector') : (() => {
    try {
      return selectorOf(obj);
    } catch (e) {
      throw new CliError(`couldn't retrieve selectors via --selector flag or introspection: ${(e as Error).message}`);
    }
  })();
  const headless = o.clusterIP === 'None';
  const known = portsOf(obj);
  let portTexts: string[];
  if (o.port) portTexts = o.port.split(',');
  else {
    portTexts = [...known.keys()].map(String);
    if (portTexts.length === 0 && !headless) throw new CliError('couldn\'t find port via --port flag or introspection');
  }
  const ports: ServicePort[] = [];
  portTexts.forEach((text, i) => {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port < 1 || port > 65535) throw new UsageError(`--port: ${JSON.stringify(text)} is not a port number`);
    // Several ports need a name each.
    const name = portTexts.length > 1 ? `port-${i + 1}` : undefined;
    const served = known.get(port);
    if (!o.protocol && served && served.length > 1) {
      // The object serves it on several protocols: one Service port for each.
      for (const protocol of served) ports.push({ name: `port-${i + 1}-${protocol.toLowerCase()}`, port, protocol });
      return;
    }
    const protocol = o.protocol || (served?.length === 1 ? served[0]! : 'TCP');
    ports.push({ ...(name ? { name } : {}), port, protocol });
  });
  // The target port: --target-port (a number or a container port's name) for every port, else the port itself.
  const target = o.targetPort ? (/^\d+$/.test(o.targetPort) ? Number(o.targetPort) : o.targetPort) : undefined;
  for (const p of ports) p.targetPort = target ?? p.port;
  const labels = o.labels ? parseLabelFlag(o.labels, '--labels') : obj.metadata?.labels;
  let sessionAffinity: string | undefined;
  if (o.sessionAffinity) {
    if (o.sessionAffinity !== 'None' && o.sessionAffinity !== 'ClientIP') throw new UsageError(`unknown session affinity: ${o.sessionAffinity}`);
    sessionAffinity = o.sessionAffinity;
  }
  const name = o.name || (obj.metadata?.name ?? '').slice(0, MAX_NAME);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, ...(labels && Object.keys(labels).length ? { labels: { ...labels } } : {}) },
    spec: {
      ...(ports.length ? { ports } : {}),
      selector,
      ...(o.type ? { type: o.type } : {}),
      ...(o.externalIP ? { externalIPs: [o.externalIP] } : {}),
      ...(sessionAffinity ? { sessionAffinity } : {}),
      ...(o.clusterIP ? { clusterIP: o.clusterIP } : {}),
    },
  };
}

export const exposeCommand = defineCommand({
  name: 'expose',
  summary: 'Make a Service for the pods of a deployment, replica set, pod or service',
  usage: 'tctl expose deployment|replicaset|pod|service NAME [--port P] [--target-port T] [--type ClusterIP|NodePort] [--name N] [--protocol TCP|UDP] [--dry-run=client|server] [-o yaml|json|name]',
  details: [
    'The Service selects what the object selects (a deployment\'s or replica set\'s matchLabels; a pod\'s',
    'labels; a service\'s selector) and carries its labels. Without --port it takes the ports of the',
    'object\'s containers (several ports are named port-1, port-2, …); the target port is the port',
    'itself unless --target-port says otherwise.',
    '',
    'Examples:',
    '  tctl expose deployment web --port 80 --target-port 8080',
    '  tctl expose deploy/web --port 80 --type NodePort --name web-public',
    '  tctl expose deployment web --port 80 --dry-run=client -o yaml',
  ].join('\n'),
  flags: {
    port: { type: 'string', value: 'PORT', description: 'the port the Service serves on (default: the object\'s ports)' },
    'target-port': { type: 'string', value: 'PORT', description: 'number or name of the containers\' port traffic goes to (default: --port)' },
    protocol: { type: 'string', value: 'TCP|UDP', description: 'the ports\' protocol (default: the object\'s for that port, else TCP)' },
    type: { type: 'string', value: 'TYPE', description: 'ClusterIP (default) or NodePort' },
    name: { type: 'string', value: 'NAME', description: 'the Service\'s name (default: the object\'s)' },
    selector: { type: 'string', value: 'k=v,…', description: 'the pods to select (default: the object\'s selector)' },
    labels: { type: 'string', short: 'l', value: 'k=v,…', description: 'the Service\'s labels (default: the object\'s)' },
    'cluster-ip': { type: 'string', value: 'IP', description: 'the ClusterIP to ask for; None for a headless Service (default: allocated)' },
    'external-ip': { type: 'string', value: 'IP', description: 'an external IP the Service also accepts' },
    'session-affinity': { type: 'string', value: 'None|ClientIP', description: 'the Service\'s session affinity' },
    'dry-run': { type: 'string', value: 'client|server', bareValue: 'client', description: 'only show what would be created' },
    output: { type: 'string', short: 'o', value: 'FORMAT', description: 'yaml|json|name' },
  },
  async run(ctx, { flags, positionals }) {
    const dryRun = parseDryRun(flags['dry-run']);
    const output = parseOutput(flags.output, ['yaml', 'json', 'name']);
    const requests = parseResourceArgs(positionals, 'expose');
    const r = requests[0];
    if (requests.length !== 1 || !r || r.names.length !== 1) throw new UsageError('expose needs exactly one object, e.g. \'tctl expose deployment web --port 80\'');
    if (!EXPOSABLE.includes(r.info.resource)) throw new CliError(`cannot expose a ${r.info.group ? `${r.info.kind}.${r.info.group}` : r.info.kind}`);
    const client = ctx.client();
    const obj = await client.get(r.info.resource, ctx.namespace, r.names[0]!);
    const svc = serviceFor(obj, {
      port: flags.port, targetPort: flags['target-port'], protocol: flags.protocol, type: flags.type, name: flags.name,
      selector: flags.selector, labels: flags.labels, clusterIP: flags['cluster-ip'], externalIP: flags['external-ip'], sessionAffinity: flags['session-affinity'],
    });
    let result: KubeObject;
    if (dryRun === 'client') {
      // kubectl prints the namespace only when it was given.
      if (ctx.namespaceExplicit) svc.metadata = { ...svc.metadata, namespace: ctx.namespace };
      result = svc;
    } else {
      result = await client.create({ ...svc, metadata: { ...svc.metadata, namespace: ctx.namespace } }, { dryRun: dryRun === 'server' });
    }
    if (output.kind !== 'table') {
      ctx.out(formatObjects([result], output));
      return 0;
    }
    const suffix = dryRun === 'client' ? ' (dry run)' : dryRun === 'server' ? ' (server dry run)' : '';
    ctx.out(`service/${result.metadata?.name ?? svc.metadata?.name ?? ''} exposed${suffix}\n`);
    return 0;
  },
});
