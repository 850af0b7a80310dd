// `tctl describe KIND [NAME…]`: a readable summary of each object with what relates to it
// (its events; a node's pods and lease; a deployment's replica sets; a replica set's pods; the
// pods using a claim).
import { ApiError, NODE_LEASE_NAMESPACE, DEFAULT_NAMESPACE, SERVICE_NAME_LABEL, qualifiedResource, type EndpointSlice, type Event, type KubeObject, type Lease, type Pod, type ReplicaSet } from '@tugboat/api';
import { defineCommand } from '../command.js';
import type { Context } from '../context.js';
import { parseResourceArgs } from '../resource-args.js';
import { describeObject, eventsFor, type Related } from '../printers/describe.js';

const ownedBy = (owner: KubeObject) => (o: KubeObject): boolean =>
  (o.metadata?.ownerReferences ?? []).some((r) => r.uid === owner.metadata?.uid);

export async function relatedTo(ctx: Context, obj: KubeObject, eventCache: Map<string, Event[]>): Promise<Related> {
  const client = ctx.client();
  // Events of cluster-scoped objects live in "default", as Kubernetes records them.
  const evNs = obj.metadata?.namespace || DEFAULT_NAMESPACE;
  let events = eventCache.get(evNs);
  if (!events) {
    events = (await client.listAll<Event & KubeObject>('events', { namespace: evNs })).items;
    eventCache.set(evNs, events);
  }
  const rel: Related = { events: eventsFor(obj, events) };
  const name = obj.metadata?.name ?? '';
  const ns = obj.metadata?.namespace ?? '';
  switch (obj.kind) {
    case 'Node': {
      rel.pods = (await client.listAll<Pod & KubeObject>('pods', { fieldSelector: `spec.nodeName=${name}` })).items.filter((p) => p.spec?.nodeName === name);
      rel.lease = await client.tryGet<Lease & KubeObject>('leases', NODE_LEASE_NAMESPACE, name);
      break;
    }
    case 'Deployment':
      rel.replicaSets = (await client.listAll<ReplicaSet & KubeObject>('replicasets', { namespace: ns })).items.filter(ownedBy(obj));
      break;
    case 'ReplicaSet':
    case 'ReplicationController':
    case 'DaemonSet':
    case 'StatefulSet':
      rel.pods = (await client.listAll<Pod & KubeObject>('pods', { namespace: ns })).items.filter(ownedBy(obj));
      break;
    case 'PersistentVolumeClaim':
      // kubectl's "Used By": the pods of the namespace that name the claim.
      rel.pods = (await client.listAll<Pod & KubeObject>('pods', { namespace: ns })).items
        .filter((p) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === name));
      break;
    case 'Service':
      // The endpoints kubectl shows come from the Service's EndpointSlices (as since 1.29).
      rel.endpointSlices = (await client.listAll<EndpointSlice & KubeObject>('endpointslices', { namespace: ns, labelSelector: `${SERVICE_NAME_LABEL}=${name}` })).items;
      break;
    default:
      break;
  }
  return rel;
}

export const describeCommand = defineCommand({
  name: 'describe',
  summary: 'Show an object in detail, with its events',
  usage: 'tctl describe KIND [NAME…] | KIND/NAME [-n NS | -A] [-l SELECTOR]',
  details: 'Examples:\n  tctl describe pod web\n  tctl describe node node-1\n  tctl describe deploy/api',
  flags: {
    'all-namespaces': { type: 'boolean', short: 'A', description: 'across all namespaces (without a name)' },
    selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'label selector (without a name)' },
  },
  async run(ctx, { flags, positionals }) {
    const requests = parseResourceArgs(positionals, 'describe');
    const client = ctx.client();
    const objects: KubeObject[] = [];
    let failed = 0;
    for (const r of requests) {
      const ns = r.info.namespaced ? (flags['all-namespaces'] ? '' : ctx.namespace) : '';
      if (r.names.length === 0) {
        const list = await client.listAll(r.info.resource, { namespace: ns, ...(flags.selector ? { labelSelector: flags.selector } : {}) });
        objects.push(...list.items.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')));
        if (list.items.length === 0) ctx.err(`No resources found${r.info.namespaced && ns ? ` in ${ns} namespace` : ''}.\n`);
        continue;
      }
      for (const name of r.names) {
        try {
          objects.push(await client.get(r.info.resource, ns, name));
        } catch (e) {
          if (e instanceof ApiError && e.reason === 'NotFound') {
            ctx.err(`error: ${qualifiedResource(r.info)} "${name}" not found\n`);
            failed++;
            continue;
          }
          throw e;
        }
      }
    }
    const now = Date.now();
    const cache = new Map<string, Event[]>();
    const texts: string[] = [];
    for (const obj of objects) {
      const namespaced = !!obj.metadata?.namespace;
      texts.push(describeObject(obj, await relatedTo(ctx, obj, cache), now, namespaced));
    }
    if (texts.length) ctx.out(texts.join('\n\n'));
    return failed ? 1 : 0;
  },
});
