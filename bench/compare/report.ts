/** The results table, the targets and results.md. */

export interface Row {
  system: string;
  workload: string;
  figure: string;
  value: number;
  unit: string;
  /** Whether a larger value is better (throughput) or worse (latency, memory, time). */
  better: "higher" | "lower";
  /** Rows with the same key are compared; the one with `ours` set is the reference. */
  key: string;
  ours?: boolean;
  note?: string;
}

export interface Target {
  name: string;
  /** What was measured, e.g. "6.3×" or "12.1 ms". */
  measured: string;
  goal: string;
  met: boolean;
  /** By how much it is missed or beaten, in words. */
  margin: string;
}

/** How many times better ours is than `row` (> 1: ours is better); undefined without an ours row. */
export function ratioToOurs(rows: readonly Row[], row: Row): number | undefined {
  if (row.ours) return 1;
  const ours = rows.find((r) => r.ours && r.key === row.key);
  if (!ours || !(ours.value > 0) || !(row.value > 0)) return undefined;
  return row.better === "higher" ? ours.value / row.value : row.value / ours.value;
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return "n/a";
  const digits = value >= 1000 ? 0 : value >= 100 ? 1 : value >= 10 ? 1 : 2;
  const text = value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

export function formatRatio(ratio: number | undefined): string {
  if (ratio === undefined) return "";
  return `${ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ["| system | workload | figure | value | ratio to ours |", "|---|---|---|---:|---:|"];
  for (const row of rows) {
    const figure = row.note ? `${row.figure} (${row.note})` : row.figure;
    const ratio = row.ours ? "1 (ours)" : formatRatio(ratioToOurs(rows, row));
    lines.push(`| ${row.system} | ${row.workload} | ${figure} | ${formatValue(row.value, row.unit)} | ${ratio} |`);
  }
  return lines.join("\n");
}

/**
 * One system beside ours, a line per figure (by key): its value, ours and the ratio to ours. Figures either
 * lacks are left out; undefined when none is left.
 */
export function markdownBesideOurs(
  rows: readonly Row[],
  system: string,
  figures: ReadonlyArray<{ key: string; name: string }>,
): string | undefined {
  const pairs = figures.flatMap(({ key, name }) => {
    const theirs = rows.find((r) => r.key === key && r.system === system);
    const ours = rows.find((r) => r.key === key && r.ours);
    return theirs && ours ? [{ name, theirs, ours }] : [];
  });
  if (pairs.length === 0) return undefined;
  const lines = pairs.map(
    ({ name, theirs, ours }) => `| ${name} | ${formatValue(theirs.value, theirs.unit)} | ${formatValue(ours.value, ours.unit)} | ${formatRatio(ratioToOurs(rows, theirs))} |`,
  );
  return [`| figure | ${system} | ${pairs[0]!.ours.system} | ratio to ours |`, "|---|---:|---:|---:|", ...lines].join("\n");
}

export function markdownTargets(targets: readonly Target[]): string {
  const lines = ["| target | goal | measured | result |", "|---|---|---:|---|"];
  for (const t of targets) lines.push(`| ${t.name} | ${t.goal} | ${t.measured} | ${t.met ? "met" : "**missed**"}: ${t.margin} |`);
  return lines.join("\n");
}

/** A plain-text table for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const cells = rows.map((row) => [
    row.system,
    row.workload,
    row.note ? `${row.figure} (${row.note})` : row.figure,
    formatValue(row.value, row.unit),
    row.ours ? "1 (ours)" : formatRatio(ratioToOurs(rows, row)),
  ]);
  const header = ["system", "workload", "figure", "value", "ratio to ours"];
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((v, i) => (i >= 3 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}
