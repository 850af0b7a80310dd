// Builds kubectl-describe style text: "Label:  value" lines whose values line up per
// nesting level, nested sections indented by two spaces, and small tables underlined with dashes.

type Line =
  | { kind: 'field'; level: number; label: string; value: string }
  | { kind: 'raw'; level: number; text: string };

export class DescribeWriter {
  private readonly lines: Line[] = [];

  /** `Label:  value`; a multi-line value continues under the value column. */
  field(level: number, label: string, value: string | number | undefined | null): this {
    this.lines.push({ kind: 'field', level, label: `${label}:`, value: value === undefined || value === null || value === '' ? '<none>' : String(value) });
    return this;
  }

  /** `Label:` and the value as it is: empty stays empty, where kubectl prints nothing. */
  text(level: number, label: string, value: string): this {
    this.lines.push({ kind: 'field', level, label: `${label}:`, value });
    return this;
  }

  /** `Label:` with nothing after it (a section heading). */
  section(level: number, label: string): this {
    this.lines.push({ kind: 'raw', level, text: `${label}:` });
    return this;
  }

  raw(level: number, text: string): this {
    this.lines.push({ kind: 'raw', level, text });
    return this;
  }

  /** A labelled map (labels, annotations): first entry on the label's line, the rest below it. */
  map(level: number, label: string, entries: Record<string, string> | undefined, sep = '='): this {
    const list = Object.entries(entries ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}${sep}${v}`);
    return this.field(level, label, list.length ? list.join('\n') : '<none>');
  }

  /** An indented table: headers, a dashed underline, rows; "<none>" when empty. */
  table(level: number, headers: readonly string[], rows: readonly (readonly string[])[]): this {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const fmt = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
    this.raw(level, fmt(headers));
    this.raw(level, fmt(headers.map((h) => '-'.repeat(h.length))));
    for (const r of rows) this.raw(level, fmt(r));
    return this;
  }

  toString(): string {
    // One value column per nesting level across the whole text, as kubectl's tabwriter gives.
    const widths = new Map<number, number>();
    for (const l of this.lines) {
      if (l.kind === 'field') widths.set(l.level, Math.max(widths.get(l.level) ?? 0, l.label.length + 2));
    }
    const out: string[] = [];
    for (const line of this.lines) {
      const indent = '  '.repeat(line.level);
      if (line.kind === 'raw') {
        out.push(`${indent}${line.text}`.trimEnd());
        continue;
      }
      const width = widths.get(line.level) ?? 0;
      const [first, ...more] = line.value.split('\n');
      out.push(`${indent}${line.label.padEnd(width)}${first ?? ''}`.trimEnd());
      for (const m of more) out.push(`${indent}${' '.repeat(width)}${m}`.trimEnd());
    }
    return `${out.join('\n')}\n`;
  }
}
