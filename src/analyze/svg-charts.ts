/**
 * Inline SVG charts as strings: no script, no framework, nothing fetched. Every text that comes
 * from a log goes through `esc`. Each chart is `role="img"` with an `aria-label` that says what it
 * shows, and each mark has a `<title>` (the browser's tooltip).
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

export interface Segment {
  readonly label: string;
  readonly value: number;
  readonly color: string;
  /** Shown in the tooltip after the label. */
  readonly text: string;
}

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

function n(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** One horizontal bar split into segments proportional to their values. */
export function stackedBar(segments: readonly Segment[], options: { width: number; height: number; label: string }): string {
  const { width, height } = options;
  const total = segments.reduce((a, s) => a + s.value, 0);
  let x = 0;
  const rects: string[] = [];
  for (const s of segments) {
    if (s.value <= 0 || total <= 0) continue;
    const w = (s.value / total) * width;
    rects.push(
      `<rect x="${n(x)}" y="0" width="${n(Math.max(w, 0.5))}" height="${height}" fill="${s.color}" data-label="${esc(s.label)}"><title>${esc(s.label)}: ${esc(s.text)}</title></rect>`,
    );
    x += w;
  }
  if (rects.length === 0) rects.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#eaeef2"><title>no traffic</title></rect>`);
  return `<svg class="chart" role="img" aria-label="${esc(options.label)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${rects.join('')}</svg>`;
}

export interface BarRow {
  readonly label: string;
  /** Smaller text under or after the label (category, service area). */
  readonly note?: string;
  readonly segments: readonly Segment[];
  /** Text at the end of the bar (the value as people read it). */
  readonly valueText: string;
}

/**
 * Rows of labelled horizontal bars, each split into segments, on one scale (the largest row is
 * full width).
 */
export function barRows(rows: readonly BarRow[], options: { width: number; label: string; labelWidth?: number }): string {
  const labelW = options.labelWidth ?? 260;
  const valueW = 150;
  const barW = Math.max(80, options.width - labelW - valueW);
  const rowH = 26;
  const barH = 16;
  const max = Math.max(0, ...rows.map((r) => r.segments.reduce((a, s) => a + s.value, 0)));
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const y = i * rowH;
    // About 7 px per character at 13 px: longer labels are cut, whole in the tooltip.
    const maxChars = Math.floor((labelW - 8) / 7);
    const label = row.label.length > maxChars ? `${row.label.slice(0, maxChars - 1)}…` : row.label;
    parts.push(
      `<g class="row" transform="translate(0 ${y})"><text x="${labelW - 8}" y="${barH - 3}" text-anchor="end" font-size="13" fill="#1f2328"><title>${esc(row.label)}${row.note ? ` (${esc(row.note)})` : ''}</title>${esc(label)}</text>`,
    );
    let x = labelW;
    for (const s of row.segments) {
      if (s.value <= 0 || max <= 0) continue;
      const w = (s.value / max) * barW;
      parts.push(
        `<rect x="${n(x)}" y="0" width="${n(Math.max(w, 1))}" height="${barH}" fill="${s.color}" data-label="${esc(s.label)}"><title>${esc(row.label)}, ${esc(s.label)}: ${esc(s.text)}</title></rect>`,
      );
      x += w;
    }
    parts.push(`<text x="${n(x + 6)}" y="${barH - 3}" font-size="12" fill="#59636e">${esc(row.valueText)}</text></g>`);
  });
  const height = Math.max(rowH, rows.length * rowH);
  return `<svg class="chart" role="img" aria-label="${esc(options.label)}" width="${options.width}" height="${height}" viewBox="0 0 ${options.width} ${height}" ${FONT}>${parts.join('')}</svg>`;
}

/** A ring of segments with a text in the middle. */
export function donut(segments: readonly Segment[], options: { size: number; label: string; center: string; sub: string }): string {
  const { size } = options;
  const r = size / 2 - 14;
  const c = size / 2;
  const circ = 2 * Math.PI * r;
  const total = segments.reduce((a, s) => a + s.value, 0);
  const arcs: string[] = [];
  let offset = 0;
  for (const s of segments) {
    if (s.value <= 0 || total <= 0) continue;
    const len = (s.value / total) * circ;
    // A circle's stroke starts at 3 o'clock; rotate so the ring starts at 12.
    arcs.push(
      `<circle cx="${c}" cy="${c}" r="${n(r)}" fill="none" stroke="${s.color}" stroke-width="24" stroke-dasharray="${n(len)} ${n(circ - len)}" stroke-dashoffset="${n(-offset)}" transform="rotate(-90 ${c} ${c})" data-label="${esc(s.label)}"><title>${esc(s.label)}: ${esc(s.text)}</title></circle>`,
    );
    offset += len;
  }
  if (arcs.length === 0) arcs.push(`<circle cx="${c}" cy="${c}" r="${n(r)}" fill="none" stroke="#eaeef2" stroke-width="24"/>`);
  return (
    `<svg class="chart" role="img" aria-label="${esc(options.label)}" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" ${FONT}>${arcs.join('')}` +
    `<text x="${c}" y="${c + 2}" text-anchor="middle" font-size="26" font-weight="600" fill="#1f2328">${esc(options.center)}</text>` +
    `<text x="${c}" y="${c + 22}" text-anchor="middle" font-size="12" fill="#59636e">${esc(options.sub)}</text></svg>`
  );
}
