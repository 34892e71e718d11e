/**
 * Rounds of the service benchmarks: every case once per round, cases interleaved so that load
 * from elsewhere on the machine falls on all of them alike, and the median round kept.
 */
import type { LoadResult } from './load-client.js';

export interface Case {
  readonly name: string;
  /** Flows per request or message. */
  readonly flows: number;
  readonly run: () => Promise<LoadResult>;
}

export interface Row {
  readonly name: string;
  readonly flows: number;
  /** The median round by requests per second. */
  readonly r: LoadResult;
}

/** Runs `rounds` rounds of `cases`, printing a dot a case. */
export async function runRounds(cases: readonly Case[], rounds: number): Promise<Row[]> {
  const results = new Map<string, LoadResult[]>();
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      results.set(c.name, [...(results.get(c.name) ?? []), await c.run()]);
      process.stdout.write('.');
    }
  }
  return cases.map((c) => {
    const sorted = [...results.get(c.name)!].sort((a, b) => a.perSecond - b.perSecond);
    return { name: c.name, flows: c.flows, r: sorted[sorted.length >> 1]! };
  });
}

export function rowNamed(rows: readonly Row[], name: string): Row {
  const row = rows.find((r) => r.name === name);
  if (!row) throw new Error(`no row ${name}`);
  return row;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
