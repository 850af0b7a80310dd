// Builds kubectl-describe style text: "Label:  value" lines whose values line up within a
// block, nested sections indented by two spaces, and small tables underlined with dashes.

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
    const out: string[] = [];
    let i = 0;
    while (i < this.lines.length) {
      const line = this.lines[i]!;
      if (line.kind === 'raw') {
        out.push(`${'  '.repeat(line.level)}${line.text}`);
        i++;
        continue;
      }
      // A run of fields at the same level shares one value column.
      let j = i;
      while (j < this.lines.length && this.lines[j]!.kind === 'field' && this.lines[j]!.level === line.level) j++;
      const run = this.lines.slice(i, j) as Extract<Line, { kind: 'field' }>[];
      const width = Math.max(...run.map((l) => l.label.length)) + 2;
      const indent = '  '.repeat(line.level);
      for (const f of run) {
        const [first, ...more] = f.value.split('\n');
        out.push(`${indent}${f.label.padEnd(width)}${first ?? ''}`.trimEnd());
        for (const m of more) out.push(`${indent}${' '.repeat(width)}${m}`.trimEnd());
      }
      i = j;
    }
    return `${out.join('\n')}\n`;
  }
}
