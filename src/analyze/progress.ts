import type { AnalyzeProgress } from './analyze-logs.js';
import { fmtBytes } from './format-units.js';

/**
 * A one-line progress bar with rate and ETA, redrawn at most every 100 ms. Drawn only on a
 * terminal: the CLI does not create one when stderr is a pipe or a file, so logs stay clean.
 */

export interface ProgressTarget {
  write(text: string): unknown;
  readonly columns?: number | undefined;
}

const REDRAW_MS = 100;

function fmtRate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

function fmtDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(r).padStart(2, '0')}` : `${m}:${String(r).padStart(2, '0')}`;
}

export class ProgressBar {
  private readonly out: ProgressTarget;
  private readonly now: () => number;
  private readonly started: number;
  private last = -Infinity;
  private drawn = false;

  constructor(out: ProgressTarget, now: () => number = Date.now) {
    this.out = out;
    this.now = now;
    this.started = now();
  }

  /** The line for `p` at time `t` (exported for tests). */
  line(p: AnalyzeProgress, t: number): string {
    const secs = Math.max(1e-3, (t - this.started) / 1000);
    const rate = `${fmtRate(p.records / secs)} rec/s`;
    const width = Math.max(10, Math.min(30, (this.out.columns ?? 80) - 60));
    if (p.bytesTotal === null || p.bytesTotal === 0) {
      return `analyze ${fmtBytes(p.bytesRead)} read, ${p.records.toLocaleString('en-US')} records, ${rate}`;
    }
    const frac = Math.min(1, p.bytesRead / p.bytesTotal);
    const filled = Math.round(frac * width);
    const eta = frac > 0 ? fmtDuration((secs / frac) * (1 - frac)) : '?';
    return `analyze [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${rate} ${fmtBytes(p.bytesRead)}/${fmtBytes(p.bytesTotal)} ETA ${eta}`;
  }

  update(p: AnalyzeProgress): void {
    const t = this.now();
    if (!p.done && t - this.last < REDRAW_MS) return;
    this.last = t;
    this.out.write(`\r\x1b[2K${this.line(p, t)}`);
    this.drawn = true;
  }

  /** Ends the bar's line so that later output starts on a fresh one. */
  finish(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
