import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { forEachLine } from '../../src/analyze/line-splitter.js';

/**
 * The baseline both analyze benches measure against: read a log's lines with the line reader
 * analyze itself uses (src/analyze/line-splitter.ts, over a 256 KiB file stream, gunzipped for
 * `.gz`) and split each on the format's delimiter, nothing more. One reader for both sides, so
 * the ratio measures analyze's own work and not a difference of line readers.
 */

/** CPU time of this process in ms (user + system, all threads): steadier than wall time on a shared machine. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export interface SplitRun {
  readonly lines: number;
  readonly ms: number;
  readonly cpuMs: number;
  readonly maxRssMb: number;
}

export async function readAndSplit(path: string, delim: string): Promise<SplitRun> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const raw = createReadStream(path, { highWaterMark: 256 * 1024 });
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  let lines = 0;
  let cells = 0;
  await forEachLine(
    input,
    (line) => {
      lines++;
      // Keep the split's result alive so it cannot be optimized away.
      cells += line.split(delim).length;
    },
    () => false,
  );
  const ms = performance.now() - t0;
  const cpu = cpuMs() - c0;
  if (cells === 0) throw new Error('baseline split nothing');
  return { lines, ms, cpuMs: cpu, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}
