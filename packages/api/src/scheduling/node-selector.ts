// Kubernetes' node selector rules (component-helpers/scheduling/corev1/nodeaffinity), compiled
// once per pod into a predicate over a node's labels and name:
// - nodeSelectorTerms are ORed; the requirements inside one term are ANDed;
// - a term with no requirements matches nothing;
// - In / NotIn / Exists / DoesNotExist over labels; Gt / Lt compare integers (the single value
//   against the label's value); a label that is missing fails In, Exists, Gt and Lt;
// - matchFields supports metadata.name with In / NotIn.
// Shared by the scheduler's NodeAffinity filter and the DaemonSet controller, which must agree
// on where a pod may run.
import type { NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec } from '../types.js';

export type NodeMatcher = (labels: Readonly<Record<string, string>>, nodeName: string) => boolean;

const NEVER: NodeMatcher = () => false;
const INTEGER = /^[+-]?\d+$/;

function compileRequirement(r: NodeSelectorRequirement): NodeMatcher {
  const key = r.key;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In': {
      const set = new Set(values);
      return (labels) => { const v = labels[key]; return v !== undefined && set.has(v); };
    }
    case 'NotIn': {
      const set = new Set(values);
      return (labels) => { const v = labels[key]; return v === undefined || !set.has(v); };
    }
    case 'Exists':
      return (labels) => labels[key] !== undefined;
    case 'DoesNotExist':
      return (labels) => labels[key] === undefined;
    case 'Gt':
    case 'Lt': {
      if (values.length !== 1 || !INTEGER.test(values[0]!)) return NEVER;
      const bound = Number(values[0]);
      const gt = r.operator === 'Gt';
      return (labels) => {
        const v = labels[key];
        if (v === undefined || !INTEGER.test(v)) return false;
        const n = Number(v);
        return gt ? n > bound : n < bound;
      };
    }
    default:
      return NEVER;
  }
}

function compileField(r: NodeSelectorRequirement): NodeMatcher {
  if (r.key !== 'metadata.name') return NEVER;
  const set = new Set(r.values ?? []);
  switch (r.operator) {
    case 'In': return (_l, name) => set.has(name);
    case 'NotIn': return (_l, name) => !set.has(name);
    default: return NEVER;
  }
}

export function compileTerm(term: NodeSelectorTerm): NodeMatcher {
  const parts = [...(term.matchExpressions ?? []).map(compileRequirement), ...(term.matchFields ?? []).map(compileField)];
  if (parts.length === 0) return NEVER;
  if (parts.length === 1) return parts[0]!;
  return (labels, name) => {
    for (const p of parts) if (!p(labels, name)) return false;
    return true;
  };
}

export function compileNodeSelector(sel: NodeSelector): NodeMatcher {
  const terms = (sel.nodeSelectorTerms ?? []).map(compileTerm);
  if (terms.length === 0) return NEVER;
  if (terms.length === 1) return terms[0]!;
  return (labels, name) => {
    for (const t of terms) if (t(labels, name)) return true;
    return false;
  };
}

/** spec.nodeSelector: every label must be present with that value. */
export function compileLabelMap(selector: Readonly<Record<string, string>>): NodeMatcher {
  const keys = Object.keys(selector);
  const values = keys.map((k) => selector[k]);
  if (keys.length === 1) {
    const k = keys[0]!;
    const v = values[0];
    return (labels) => labels[k] === v;
  }
  return (labels) => {
    for (let i = 0; i < keys.length; i++) if (labels[keys[i]!] !== values[i]) return false;
    return true;
  };
}

/**
 * A pod's spec.nodeSelector and required node affinity as one predicate (Kubernetes'
 * GetRequiredNodeAffinity); undefined when it has neither, i.e. every node matches.
 */
export function requiredNodeMatcher(spec: PodSpec | undefined): NodeMatcher | undefined {
  const parts: NodeMatcher[] = [];
  if (spec?.nodeSelector && Object.keys(spec.nodeSelector).length > 0) parts.push(compileLabelMap(spec.nodeSelector));
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) parts.push(compileNodeSelector(required));
  if (parts.length === 0) return undefined;
  if (parts.length === 1) return parts[0];
  return (labels, name) => parts.every((p) => p(labels, name));
}
