// A small subset of kubectl's JSONPath templates, enough for scripts and tests:
// `{.status.phase}`, `{.items[0].metadata.name}`, `{.items[*].metadata.name}`,
// `{.metadata.labels['app\.kubernetes\.io/name']}`, `{range .items[*]}{.metadata.name}{"\n"}{end}`.
import { UsageError } from '../errors.js';

type Step = { kind: 'field'; name: string } | { kind: 'index'; index: number } | { kind: 'all' };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; steps: Step[] }
  | { kind: 'range'; steps: Step[]; body: Node[] };

function parsePath(expr: string, template: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  const s = expr.trim();
  if (s === '' || s === '.' || s === '$' || s === '@') return steps;
  while (i < s.length) {
    const ch = s[i]!;
    if (ch === '$' || ch === '@') { i++; continue; }
    if (ch === '.') {
      i++;
      let name = '';
      while (i < s.length && s[i] !== '.' && s[i] !== '[') {
        if (s[i] === '\\' && i + 1 < s.length) { name += s[i + 1]; i += 2; continue; }
        name += s[i];
        i++;
      }
      if (name === '*') steps.push({ kind: 'all' });
      else if (name) steps.push({ kind: 'field', name });
      continue;
    }
    if (ch === '[') {
      const end = s.indexOf(']', i);
      if (end < 0) throw new UsageError(`error parsing jsonpath ${template}: unclosed [`);
      const inner = s.slice(i + 1, end).trim();
      i = end + 1;
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^'.*'$|^".*"$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1).replace(/\\(.)/g, '$1') });
      else throw new UsageError(`error parsing jsonpath ${template}: unsupported [${inner}]`);
      continue;
    }
    throw new UsageError(`error parsing jsonpath ${template}: unexpected "${ch}"`);
  }
  return steps;
}

function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const ranges: Extract<Node, { kind: 'range' }>[] = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const top = stack[stack.length - 1]!;
    if (open < 0) { top.push({ kind: 'text', text: template.slice(i) }); break; }
    if (open > i) top.push({ kind: 'text', text: template.slice(i, open) });
    const close = template.indexOf('}', open);
    if (close < 0) throw new UsageError(`error parsing jsonpath ${template}: unclosed {`);
    const expr = template.slice(open + 1, close).trim();
    i = close + 1;
    if (/^".*"$/.test(expr)) {
      top.push({ kind: 'text', text: JSON.parse(expr) as string });
    } else if (expr.startsWith('range ')) {
      const node: Extract<Node, { kind: 'range' }> = { kind: 'range', steps: parsePath(expr.slice(6), template), body: [] };
      top.push(node);
      ranges.push(node);
      stack.push(node.body);
    } else if (expr === 'end') {
      if (!ranges.pop()) throw new UsageError(`error parsing jsonpath ${template}: {end} without {range}`);
      stack.pop();
    } else {
      top.push({ kind: 'path', steps: parsePath(expr, template) });
    }
  }
  if (ranges.length) throw new UsageError(`error parsing jsonpath ${template}: {range} without {end}`);
  return root;
}

function evaluate(steps: readonly Step[], data: unknown): unknown[] {
  let current: unknown[] = [data];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field':
          if (v && typeof v === 'object' && !Array.isArray(v) && step.name in v) next.push((v as Record<string, unknown>)[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const idx = step.index < 0 ? v.length + step.index : step.index;
            if (idx >= 0 && idx < v.length) next.push(v[idx]);
          }
          break;
        case 'all':
          if (Array.isArray(v)) next.push(...v);
          else if (v && typeof v === 'object') next.push(...Object.values(v));
          break;
      }
    }
    current = next;
  }
  return current;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function render(nodes: readonly Node[], data: unknown): string {
  let out = '';
  for (const n of nodes) {
    switch (n.kind) {
      case 'text': out += n.text; break;
      case 'path': out += evaluate(n.steps, data).map(show).join(' '); break;
      case 'range': for (const item of evaluate(n.steps, data)) out += render(n.body, item); break;
    }
  }
  return out;
}

/** Compiles a template once; throws UsageError on bad syntax. */
export function compileJsonPath(template: string): (data: unknown) => string {
  const nodes = parseTemplate(template);
  return (data) => render(nodes, data);
}
