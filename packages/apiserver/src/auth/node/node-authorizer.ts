// Kubernetes' Node authorizer (with its NodeRestriction rules folded in): an agent, user
// `system:node:NAME` in group `system:nodes`, may
//   read   its own Node (get; list/watch only with fieldSelector metadata.name=NAME), the pods
//          bound to it (get; list/watch only with fieldSelector spec.nodeName=NAME), the
//          Secrets, ConfigMaps, PersistentVolumeClaims (and their volumes) and ServiceAccounts
//          those pods use, the local volumes on it, and Services (for the pods' env vars, as
//          Kubernetes' node rules allow);
//   write  the local volumes on it (to drop the cleanup finalizer once their directory is gone),
//          its own Node and its status, its Lease in tugboat-node-lease, the status of its
//          pods, deletion of its pods (the last step of graceful deletion), events, and
//          tokens for its pods' ServiceAccounts.
// Anything else gets no opinion (so RBAC decides, and grants nodes nothing by default).
// Relationships come from the NodeGraph, fed by the pods informer; a "no" that may only be
// the graph lagging behind etcd waits for it to catch up once before it is final.
import { NODE_LEASE_NAMESPACE, nodeNameOf, parseFieldSelector } from '@tugboat/api';
import { allow, noOpinion, type Authorizer, type Decision, type RequestAttributes } from '../authorizer.js';
import type { NodeGraph } from './node-graph.js';

export interface NodeAuthorizerOptions {
  readonly graph: NodeGraph;
  /**
   * Resolves once the graph has seen everything etcd had when it was called (bounded in
   * time). Called only before turning a request down.
   */
  readonly catchUp?: () => Promise<void>;
}

/** Whether the selector asks for exactly `field=value` (possibly among other terms). */
function selects(selector: string | undefined, field: string, value: string): boolean {
  if (!selector) return false;
  try {
    return parseFieldSelector(selector).requirements.some((r) => r.field === field && r.operator === '=' && r.value === value);
  } catch {
    return false;
  }
}

function noRelationship(node: string): Decision {
  return noOpinion(`no relationship found between node '${node}' and this object`);
}

export class NodeAuthorizer implements Authorizer {
  constructor(private readonly options: NodeAuthorizerOptions) {}

  async authorize(a: RequestAttributes): Promise<Decision> {
    const node = nodeNameOf(a.user);
    if (!node || !a.resourceRequest) return noOpinion();
    const first = this.decide(node, a);
    if (first !== 'graph-miss') return first;
    // The pod may have been bound a moment ago: give the graph one chance to catch up.
    await this.options.catchUp?.();
    const second = this.decide(node, a);
    return second === 'graph-miss' ? noRelationship(node) : second;
  }

  private decide(node: string, a: RequestAttributes): Decision | 'graph-miss' {
    const g = this.options.graph;
    const graph = (has: boolean): Decision | 'graph-miss' => (has ? allow() : 'graph-miss');
    switch (a.apiGroup === '' ? a.resource : `${a.resource}.${a.apiGroup}`) {
      case 'nodes': {
        if (a.subresource !== '' && a.subresource !== 'status') return noOpinion();
        if (a.verb === 'list' || a.verb === 'watch') {
          return selects(a.fieldSelector, 'metadata.name', node) ? allow() : noOpinion(`node '${node}' can only list or watch its own Node, with fieldSelector metadata.name=${node}`);
        }
        if ((a.name || a.objectName) === node && ['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return allow();
        return noOpinion(`node '${node}' can only access its own Node`);
      }
      case 'pods': {
        if (a.subresource === '') {
          if (a.verb === 'list' || a.verb === 'watch') {
            return selects(a.fieldSelector, 'spec.nodeName', node) ? allow() : noOpinion(`node '${node}' can only list or watch pods with fieldSelector spec.nodeName=${node}`);
          }
          if (a.verb === 'get' || a.verb === 'delete') return graph(g.hasPod(node, a.namespace, a.name));
          return noOpinion(`node '${node}' can only get, list, watch and delete pods bound to it`);
        }
        if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch' || a.verb === 'get')) return graph(g.hasPod(node, a.namespace, a.name));
        return noOpinion();
      }
      case 'secrets':
        return a.verb === 'get' ? graph(g.hasSecret(node, a.namespace, a.name)) : noOpinion(`node '${node}' can only get individual secrets its pods use`);
      case 'configmaps':
        return a.verb === 'get' ? graph(g.hasConfigMap(node, a.namespace, a.name)) : noOpinion(`node '${node}' can only get individual configmaps its pods use`);
      case 'persistentvolumeclaims':
        return a.verb === 'get' && a.subresource === '' ? graph(g.hasClaim(node, a.namespace, a.name)) : noOpinion(`node '${node}' can only get individual claims its pods use`);
      case 'persistentvolumes': {
        if (a.subresource !== '') return noOpinion();
        if (a.verb === 'get') return graph(g.hasVolume(node, a.name));
        if (a.verb === 'update' || a.verb === 'patch') return graph(g.hasLocalVolume(node, a.name || a.objectName || ''));
        return noOpinion(`node '${node}' can only get the volumes of its pods' claims and update its local volumes`);
      }
      case 'serviceaccounts':
        if (a.subresource === 'token' && a.verb === 'create') return graph(g.hasServiceAccount(node, a.namespace, a.name));
        if (a.subresource === '' && a.verb === 'get') return graph(g.hasServiceAccount(node, a.namespace, a.name));
        return noOpinion();
      case 'leases.coordination.k8s.io':
        if (a.namespace !== NODE_LEASE_NAMESPACE || (a.name || a.objectName) !== node) return noOpinion(`node '${node}' can only access its own Lease in namespace ${NODE_LEASE_NAMESPACE}`);
        return ['get', 'create', 'update', 'patch', 'delete'].includes(a.verb) ? allow() : noOpinion();
      case 'services':
        // Kubernetes' node rules: kubelet reads Services for the pods' env vars (enableServiceLinks).
        return ['get', 'list', 'watch'].includes(a.verb) && a.subresource === '' ? allow() : noOpinion();
      case 'events':
        // The agent's event recorder reads an event back to count repeats, as client-go does.
        return ['create', 'update', 'patch', 'get'].includes(a.verb) ? allow() : noOpinion();
      default:
        return noOpinion();
    }
  }
}
