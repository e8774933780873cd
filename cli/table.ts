/** Plain-text tables for terminal output (no colours, so logs and CI stay readable). */
export function table(headers: string[], rows: (string | number | boolean | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === undefined ? '' : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cells[0]!), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

/** The `ok` cell of an applied change: `yes`, `already` (nothing to do) or `NO`, alike for every target. */
export const appliedCell = (result: { ok: boolean; noop?: boolean }) =>
  result.ok ? (result.noop ? 'already' : 'yes') : 'NO';
