// What `get`, `describe` and `delete` take as arguments, as kubectl does:
// `KIND[,KIND…] [NAME…]` or `KIND/NAME…`. Kind names go through the kind registry
// (po, deploy, rs, …); `all` means the workload kinds, as kubectl's "all" category.
import { lookupKind, resourceInfo, type KindInfo } from '@tugboat/api';
import { CliError, UsageError } from './errors.js';

export interface ResourceRequest {
  info: KindInfo;
  /** Empty: every object of the kind (subject to selectors). */
  names: string[];
}

const ALL = ['pods', 'replicationcontrollers', 'daemonsets', 'replicasets', 'deployments', 'statefulsets', 'jobs', 'cronjobs'];

export function kindOrThrow(name: string): KindInfo {
  const info = lookupKind(name);
  if (!info) throw new CliError(`the server doesn't have a resource type "${name}"`);
  return info;
}

function kindsOf(spec: string): KindInfo[] {
  const out: KindInfo[] = [];
  for (const part of spec.split(',')) {
    if (!part) continue;
    if (part.toLowerCase() === 'all') out.push(...ALL.map((r) => resourceInfo(r)!));
    else out.push(kindOrThrow(part));
  }
  // Keep the order the user gave, each kind once.
  return out.filter((k, i) => out.findIndex((o) => o.resource === k.resource) === i);
}

export function parseResourceArgs(positionals: readonly string[], verb: string): ResourceRequest[] {
  const [first, ...rest] = positionals;
  if (first === undefined) {
    throw new UsageError(`you must specify the type of resource to ${verb} (e.g. pods, deployments, nodes)`);
  }
  if (first.includes('/')) {
    const requests: ResourceRequest[] = [];
    for (const arg of positionals) {
      const slash = arg.indexOf('/');
      if (slash < 0) throw new UsageError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'tctl ${verb} pod/web')`);
      const info = kindOrThrow(arg.slice(0, slash));
      const name = arg.slice(slash + 1);
      if (!name) throw new UsageError(`arguments in resource/name form must have a single resource and name: "${arg}"`);
      const existing = requests.find((r) => r.info.resource === info.resource);
      if (existing) existing.names.push(name);
      else requests.push({ info, names: [name] });
    }
    return requests;
  }
  const kinds = kindsOf(first);
  if (kinds.length === 0) throw new UsageError(`you must specify the type of resource to ${verb}`);
  for (const name of rest) if (name.includes('/')) throw new UsageError(`there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'tctl ${verb} pod/web')`);
  return kinds.map((info) => ({ info, names: [...rest] }));
}
