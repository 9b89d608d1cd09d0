/**
 * Horizontal bar charts as hand-written SVG strings: one panel per section, each with its own
 * scale. A bar is a median; a Keel bar that has a raw-SDK twin is split into the twin's median
 * (the SDK's own work, pale) and what Keel adds on top (orange), labelled "+N µs"; the p99 is
 * printed next to it rather than drawn, so that rare slow calls do not squash the scale. Plain
 * shapes and text, no scripts or external fonts, so GitHub renders it as is.
 */

export interface ChartRow {
  readonly label: string;
  readonly medianUs: number;
  readonly p99Us: number;
  /** The raw-SDK median this row is read against: its part of a Keel bar is drawn pale, and the difference printed. */
  readonly baselineUs?: number | undefined;
  /** A row that is the SDK alone (with or without a baseline), drawn in the SDK colour. */
  readonly raw?: boolean | undefined;
  /** A row that is Keel's work alone (no SDK under it), drawn all in the Keel colour. */
  readonly keelOnly?: boolean | undefined;
}

export interface ChartSection {
  readonly title: string;
  readonly rows: readonly ChartRow[];
}

export interface Chart {
  readonly title: string;
  readonly subtitle: string;
  readonly sections: readonly ChartSection[];
}

const WIDTH = 900;
const LABEL_W = 250;
const VALUE_W = 250;
const BAR_X = LABEL_W + 10;
const BAR_W = WIDTH - BAR_X - VALUE_W;
const ROW_H = 26;
const BAR_H = 16;
const COLORS = { sdk: '#9db4d3', sdkPale: '#d3deed', keel: '#e8833a', keelText: '#b35409', text: '#24292f', muted: '#57606a', grid: '#e6e8eb' };
const FONT = "font-family=\"-apple-system,BlinkMacSystemFont,'Segoe UI',Helvetica,Arial,sans-serif\"";

export function renderChart(chart: Chart): string {
  const parts: string[] = [];
  let y = 76;
  for (const section of chart.sections) {
    const max = niceMax(Math.max(...section.rows.map((row) => row.medianUs)));
    parts.push(text(12, y, section.title, { weight: 600, size: 14 }));
    y += 8;
    const top = y;
    // Grid: five ticks with their values.
    for (let i = 0; i <= 4; i++) {
      const x = BAR_X + (BAR_W * i) / 4;
      parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + section.rows.length * ROW_H + 4}" stroke="${COLORS.grid}"/>`);
      parts.push(text(x, top + section.rows.length * ROW_H + 18, `${tick((max * i) / 4)} µs`, { size: 11, anchor: 'middle', color: COLORS.muted }));
    }
    for (const row of section.rows) {
      const scale = (us: number) => (Math.min(us, max) / max) * BAR_W;
      const barY = y + (ROW_H - BAR_H) / 2 + 2;
      parts.push(text(LABEL_W, barY + BAR_H - 3, row.label, { anchor: 'end', size: 13 }));
      if (!row.raw && row.baselineUs !== undefined && row.baselineUs < row.medianUs) {
        const base = scale(row.baselineUs);
        parts.push(rect(BAR_X, barY, base, COLORS.sdkPale));
        parts.push(rect(BAR_X + base, barY, scale(row.medianUs) - base, COLORS.keel));
      } else {
        parts.push(rect(BAR_X, barY, scale(row.medianUs), row.raw ? COLORS.sdk : row.keelOnly ? COLORS.keel : COLORS.sdkPale));
      }
      const valueX = BAR_X + BAR_W + 10;
      parts.push(text(valueX, barY + BAR_H - 3, `${fmt(row.medianUs)} µs`, { size: 12, weight: 600 }));
      if (row.baselineUs !== undefined) {
        parts.push(text(valueX + 66, barY + BAR_H - 3, `${signed(row.medianUs - row.baselineUs)} µs`, {
          size: 12,
          weight: 600,
          color: row.raw ? COLORS.muted : COLORS.keelText,
        }));
      }
      parts.push(text(valueX + 140, barY + BAR_H - 3, `p99 ${fmt(row.p99Us)}`, { size: 11, color: COLORS.muted }));
      y += ROW_H;
    }
    y += 52;
  }
  const legendY = y - 14;
  parts.push(rect(12, legendY - 10, 14, COLORS.sdk, 12));
  parts.push(text(32, legendY, 'openai SDK alone', { size: 12 }));
  parts.push(rect(156, legendY - 10, 14, COLORS.sdkPale, 12));
  parts.push(text(176, legendY, 'the SDK\'s share of a wrapped call', { size: 12 }));
  parts.push(rect(404, legendY - 10, 14, COLORS.keel, 12));
  parts.push(text(424, legendY, 'what the wrapper adds', { size: 12 }));
  parts.push(text(580, legendY, 'bars: median µs per call, lower is better', { size: 12, color: COLORS.muted }));
  return svgDocument(chart, parts, y + 4);
}

export interface RatioRow {
  readonly label: string;
  /** Absent: not measured in this run (drawn as a dash). */
  readonly value: number | undefined;
  /** Drawn in the Keel colour. */
  readonly highlight?: boolean | undefined;
}

export interface RatioChart {
  readonly title: string;
  readonly subtitle: string;
  readonly sections: readonly { readonly title: string; readonly rows: readonly RatioRow[] }[];
}

/** Ratios to a baseline, one panel per section on a shared scale, with a line at 1.00. */
export function renderRatioChart(chart: RatioChart): string {
  const values = chart.sections.flatMap((s) => s.rows.map((r) => r.value ?? 0));
  const max = Math.max(1.5, Math.ceil(Math.max(...values) * 4) / 4);
  const scale = (v: number) => (Math.min(v, max) / max) * BAR_W;
  const parts: string[] = [];
  let y = 70;
  for (const section of chart.sections) {
    parts.push(text(12, y, section.title, { weight: 600, size: 14 }));
    y += 10;
    const top = y;
    const one = BAR_X + scale(1);
    for (const row of section.rows) {
      const barY = y + (ROW_H - BAR_H) / 2 + 2;
      parts.push(text(LABEL_W, barY + BAR_H - 3, row.label, { anchor: 'end', size: 13 }));
      if (row.value !== undefined) parts.push(rect(BAR_X, barY, scale(row.value), row.highlight ? COLORS.keel : COLORS.sdk));
      parts.push(text(BAR_X + BAR_W + 10, barY + BAR_H - 3, row.value === undefined ? '—' : `${row.value.toFixed(2)}×`, { size: 12, weight: 600 }));
      y += ROW_H;
    }
    parts.push(`<line x1="${one.toFixed(1)}" y1="${top}" x2="${one.toFixed(1)}" y2="${y}" stroke="${COLORS.muted}" stroke-dasharray="3 3"/>`);
    parts.push(text(one, y + 14, '1.00 = raw SDK', { size: 11, anchor: 'middle', color: COLORS.muted }));
    y += 44;
  }
  return svgDocument(chart, parts, y);
}

/** The frame every chart shares: the SVG element, a white background, title and subtitle. */
function svgDocument(chart: { readonly title: string; readonly subtitle: string }, parts: readonly string[], height: number): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escape(chart.title)}">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    text(12, 24, chart.title, { weight: 700, size: 16 }),
    text(12, 42, chart.subtitle, { size: 12, color: COLORS.muted }),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

function rect(x: number, y: number, width: number, fill: string, height = BAR_H): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, width).toFixed(1)}" height="${height}" fill="${fill}" rx="2"/>`;
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size?: number; weight?: number; anchor?: 'start' | 'middle' | 'end'; color?: string } = {},
): string {
  const { size = 13, weight = 400, anchor = 'start', color = COLORS.text } = style;
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT} font-size="${size}" font-weight="${weight}" text-anchor="${anchor}" fill="${color}">${escape(content)}</text>`;
}

/** 1, 2 or 5 times a power of ten, at or above `value`. */
function niceMax(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

function tick(us: number): string {
  return Number.isInteger(us) ? String(us) : us.toFixed(1);
}

export function fmt(us: number): string {
  return us >= 100 ? us.toFixed(0) : us.toFixed(1);
}

export function signed(value: number, digits?: number): string {
  const text = digits === undefined ? fmt(Math.abs(value)) : Math.abs(value).toFixed(digits);
  return `${value < 0 ? '−' : '+'}${text}`;
}

function escape(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
