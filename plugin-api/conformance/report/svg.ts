import type { Measurement } from '../types.js';
import { escapeXml } from './escape.js';

const W = 640;
const H = 220;
const PAD = { left: 48, right: 12, top: 28, bottom: 40 };

function fmtMs(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2);
}

/**
 * A latency histogram as inline SVG: log-spaced buckets on x, request counts on y, p50 and p99
 * marked. No script, no external reference: the report is one self-contained file.
 */
export function latencyChart(m: Measurement): string {
  const buckets = m.latency.histogram;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const title = `${escapeXml(m.scenario)}: ${m.requests} requests, p50 ${fmtMs(m.latency.p50Ms)} ms, p99 ${fmtMs(m.latency.p99Ms)} ms`;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${title}">`, `<text x="${PAD.left}" y="18" font-size="13" font-family="sans-serif">${title}</text>`];
  if (buckets.length === 0) {
    out.push(`<text x="${PAD.left}" y="${PAD.top + plotH / 2}" font-size="12" font-family="sans-serif">no samples</text></svg>`);
    return out.join('');
  }
  const max = Math.max(...buckets.map((b) => b.count), 1);
  const bw = plotW / buckets.length;
  out.push(`<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#333"/>`);
  out.push(`<text x="${PAD.left - 6}" y="${PAD.top + 4}" font-size="10" text-anchor="end" font-family="sans-serif">${max}</text>`);
  out.push(`<text x="${PAD.left - 6}" y="${PAD.top + plotH}" font-size="10" text-anchor="end" font-family="sans-serif">0</text>`);
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 8));
  buckets.forEach((b, i) => {
    const h = (b.count / max) * plotH;
    const x = PAD.left + i * bw;
    out.push(`<rect x="${(x + 1).toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${Math.max(bw - 2, 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#4a78c2"><title>≤ ${fmtMs(b.leMs)} ms: ${b.count}</title></rect>`);
    if (i % labelEvery === 0) out.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${PAD.top + plotH + 14}" font-size="10" text-anchor="middle" font-family="sans-serif">${fmtMs(b.leMs)}</text>`);
  });
  const xOf = (ms: number): number => {
    const i = buckets.findIndex((b) => ms <= b.leMs);
    return PAD.left + (i < 0 ? buckets.length - 0.5 : i + 0.5) * bw;
  };
  for (const [name, ms, color] of [['p50', m.latency.p50Ms, '#2a8f3c'], ['p99', m.latency.p99Ms, '#c2412d']] as const) {
    const x = xOf(ms).toFixed(1);
    out.push(`<line x1="${x}" y1="${PAD.top}" x2="${x}" y2="${PAD.top + plotH}" stroke="${color}" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${x}" y="${PAD.top - 2}" font-size="10" text-anchor="middle" fill="${color}" font-family="sans-serif">${name}</text>`);
  }
  out.push(`<text x="${PAD.left + plotW / 2}" y="${H - 6}" font-size="11" text-anchor="middle" font-family="sans-serif">latency, ms (upper bound of bucket, log scale)</text>`);
  out.push('</svg>');
  return out.join('');
}
