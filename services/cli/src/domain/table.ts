/**
 * Plain-text tables for people: columns aligned with two spaces between
 * them, a header row, no borders (easy to read, grep and paste). Cells are
 * single lines; a newline or tab in a value is shown as a space.
 */
export function formatTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  if (rows.length === 0) return "(none)";
  const clean = (cell: string | undefined) => (cell ?? "").replace(/[\t\r\n]+/g, " ");
  const cells = [headers.map(clean), ...rows.map((row) => headers.map((_, i) => clean(row[i])))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => [...row[i]!].length)));
  return cells
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat(widths[i]! - [...cell].length))).join("  ").trimEnd())
    .join("\n");
}

/** A record shown as "label: value" lines, labels aligned; empty values are left out. */
export function formatFields(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  const shown = fields.filter(([, value]) => value !== undefined && value !== "");
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width + 1)} ${value!.replace(/[\t\r\n]+/g, " ")}`).join("\n");
}
