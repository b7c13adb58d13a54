// Numbers and tables as the tool writes them, in one place: fractions as percentages, and
// CSV cells quoted as RFC 4180 says (commas, quotes and line breaks inside a cell).

/** A fraction as a percentage, `digits` decimals; `missing` when absent or not a finite number. */
export function percent(v: number | null | undefined, digits = 2, missing = '–'): string {
  return typeof v === 'number' && Number.isFinite(v) ? (100 * v).toFixed(digits) : missing;
}

/** A CSV cell: quoted, with quotes doubled, when it holds a comma, a quote or a line break. */
export function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A number as a CSV cell: as JavaScript prints it, empty when absent or not finite. */
export function csvNumber(v: number | null | undefined): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
}

/** Rows of cells as CSV text, one line each, ending with a newline. */
export function csvText(rows: string[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
