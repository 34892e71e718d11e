import type { LatencyStats } from './types.js';

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

// Four buckets per decade: fine enough to see a tail, few enough to draw.
const STEP = 10 ** 0.25;

/** Percentiles (nearest rank) and a log-spaced histogram from the first non-empty bucket. */
export function latencyStats(samples: readonly number[]): LatencyStats {
  const sorted = Float64Array.from(samples).sort();
  const histogram: Array<{ leMs: number; count: number }> = [];
  let k = 0;
  for (let le = 0.01; k < sorted.length; le *= STEP) {
    let count = 0;
    while (k < sorted.length && sorted[k]! <= le) {
      count++;
      k++;
    }
    if (count > 0 || histogram.length > 0) histogram.push({ leMs: round(le), count });
  }
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    minMs: round(sorted[0] ?? 0),
    p50Ms: round(percentile(sorted, 50)),
    p90Ms: round(percentile(sorted, 90)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    meanMs: round(sorted.length ? sum / sorted.length : 0),
    histogram,
  };
}
