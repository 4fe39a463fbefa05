/** results.svg: grouped bar charts drawn by hand, no dependencies. */

export interface Bar {
  series: string;
  value: number;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface Panel {
  title: string;
  unit: string;
  /** Log scale, for values spanning decades (Python vs ours). */
  log?: boolean;
  groups: BarGroup[];
  /** A dashed line across the panel, e.g. a target. */
  goal?: { value: number; label: string };
}

const WIDTH = 960;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 70, right: 20, top: 34, bottom: 40 };
const PALETTE = ["#2563eb", "#16a34a", "#d97706", "#9ca3af", "#7c3aed", "#dc2626", "#0891b2"];

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

export function compact(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  if (Number.isInteger(value) && value < 1e4) return value >= 1e3 ? `${value / 1e3}k` : String(value);
  if (value >= 1e6) return `${(value / 1e6).toFixed(value >= 1e7 ? 0 : 1)}M`;
  if (value >= 1e4) return `${Math.round(value / 1e3)}k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function linearTicks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= max * 1.0001; t += step) ticks.push(t);
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step);
  return ticks;
}

function panelSvg(panel: Panel, top: number, colorOf: (series: string) => string): string {
  const values = [...panel.groups.flatMap((g) => g.bars.map((b) => b.value)), panel.goal?.value ?? NaN].filter(
    (v) => Number.isFinite(v) && v > 0,
  );
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = PANEL_HEIGHT - MARGIN.top - MARGIN.bottom;
  const x0 = MARGIN.left;
  const y0 = top + MARGIN.top;
  let ticks: number[];
  let scale: (v: number) => number;
  if (panel.log) {
    const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
    const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
    ticks = [];
    for (let t = lo; t <= hi * 1.0001; t *= 10) ticks.push(t);
    scale = (v) => (v <= 0 ? 0 : (Math.log10(v / lo) / Math.log10(hi / lo)) * plotH);
  } else {
    ticks = linearTicks(Math.max(...values));
    const top = ticks[ticks.length - 1]!;
    scale = (v) => (v / top) * plotH;
  }
  const out: string[] = [];
  out.push(`<text x="${x0}" y="${top + 20}" class="title">${escape(panel.title)}</text>`);
  for (const t of ticks) {
    const y = y0 + plotH - scale(t);
    out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" class="grid"/>`);
    out.push(`<text x="${x0 - 6}" y="${y + 4}" class="tick" text-anchor="end">${compact(t)}</text>`);
  }
  out.push(
    `<text transform="translate(${x0 - 52},${y0 + plotH / 2}) rotate(-90)" class="tick" text-anchor="middle">${escape(panel.unit)}${panel.log ? " (log)" : ""}</text>`,
  );
  const groupW = plotW / panel.groups.length;
  panel.groups.forEach((group, gi) => {
    const n = group.bars.length;
    const barW = Math.min(56, (groupW * 0.8) / Math.max(1, n));
    const start = x0 + gi * groupW + (groupW - barW * n) / 2;
    group.bars.forEach((bar, bi) => {
      const h = Number.isFinite(bar.value) ? Math.max(1, scale(bar.value)) : 0;
      const x = start + bi * barW;
      out.push(
        `<rect x="${x + 2}" y="${y0 + plotH - h}" width="${barW - 4}" height="${h}" fill="${colorOf(bar.series)}"><title>${escape(`${bar.series}: ${compact(bar.value)} ${panel.unit}`)}</title></rect>`,
      );
      out.push(`<text x="${x + barW / 2}" y="${y0 + plotH - h - 4}" class="value" text-anchor="middle">${compact(bar.value)}</text>`);
    });
    out.push(`<text x="${x0 + gi * groupW + groupW / 2}" y="${y0 + plotH + 18}" class="group" text-anchor="middle">${escape(group.label)}</text>`);
  });
  out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y0 + plotH}" y2="${y0 + plotH}" class="axis"/>`);
  if (panel.goal) {
    const y = y0 + plotH - scale(panel.goal.value);
    out.push(`<line x1="${x0}" x2="${x0 + plotW}" y1="${y}" y2="${y}" class="goal"/>`);
    // In the title row, where no bar can reach it.
    out.push(`<text x="${x0 + plotW}" y="${top + 20}" class="goal-label" text-anchor="end">- - - ${escape(panel.goal.label)}</text>`);
  }
  return out.join("\n");
}

/** `colors` fixes a series' colour (so each system keeps one across panels); others take the palette's. */
export function renderChart(title: string, panels: readonly Panel[], colors: Readonly<Record<string, string>> = {}): string {
  const series: string[] = [];
  for (const p of panels) for (const g of p.groups) for (const b of g.bars) if (!series.includes(b.series)) series.push(b.series);
  const colorOf = (s: string) => colors[s] ?? PALETTE[series.indexOf(s) % PALETTE.length]!;
  const legendRows = Math.ceil(series.length / 2);
  const legendH = 16 + legendRows * 18;
  const height = 40 + legendH + panels.length * PANEL_HEIGHT;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">`,
    `<style>.title{font-size:14px;font-weight:600}.tick{font-size:11px;fill:#4b5563}.value{font-size:10px;fill:#111827}.group{font-size:12px;fill:#111827}.grid{stroke:#e5e7eb}.axis{stroke:#374151}.legend{font-size:12px}.goal{stroke:#dc2626;stroke-dasharray:6 4}.goal-label{font-size:12px;fill:#dc2626}</style>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="26" font-size="16" font-weight="700">${escape(title)}</text>`,
  ];
  series.forEach((s, i) => {
    const x = MARGIN.left + (i % 2) * 440;
    const y = 48 + Math.floor(i / 2) * 18;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${colorOf(s)}"/>`);
    parts.push(`<text x="${x + 18}" y="${y}" class="legend">${escape(s)}</text>`);
  });
  panels.forEach((panel, i) => parts.push(panelSvg(panel, 40 + legendH + i * PANEL_HEIGHT, colorOf)));
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
