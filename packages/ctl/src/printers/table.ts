// Plain-text tables as kubectl prints them: upper-case headers, left-aligned columns
// separated by three spaces, no trailing padding on the last column.

export interface TableOptions {
  noHeaders?: boolean;
}

/** Column widths wide enough for the headers and every row. */
export function columnWidths(headers: readonly string[], rows: readonly (readonly string[])[]): number[] {
  const widths = headers.map((h) => h.length);
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return widths;
}

/** One line of a table with the given widths. */
export function formatRow(cells: readonly string[], widths: readonly number[]): string {
  const last = cells.length - 1;
  return cells.map((c, i) => (i === last ? c : c.padEnd(widths[i] ?? c.length))).join('   ').trimEnd();
}

/** The whole table as lines (no trailing newline on each). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string[] {
  const widths = columnWidths(opts.noHeaders ? headers.map(() => '') : headers, rows);
  const lines: string[] = [];
  if (!opts.noHeaders) lines.push(formatRow(headers, widths));
  for (const row of rows) lines.push(formatRow(row, widths));
  return lines;
}
