import type { CheckResult } from '../types.js';

function short(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The evidence of a check as plain lines, at most `max` mismatches or problems. */
export function evidenceLines(c: CheckResult, max: number): string[] {
  const e = c.evidence;
  const lines: string[] = [];
  for (const n of e.notes ?? []) lines.push(n);
  if (e.counts !== undefined) lines.push(Object.entries(e.counts).map(([k, v]) => `${k}: ${v}`).join(', '));
  const mismatches = e.mismatches ?? [];
  for (const m of mismatches.slice(0, max)) {
    lines.push(`${m.vector}: flow ${short(m.flow)} expected ${short(m.expected)} actual ${short(m.actual)}${m.fields ? ` [${m.fields.join(', ')}]` : ''}`);
  }
  if (mismatches.length > max) lines.push(`... ${mismatches.length - max} more mismatches in report.json`);
  const problems = e.problems ?? [];
  for (const p of problems.slice(0, max)) lines.push(`${p.kind === 'transport' ? '[no answer: transport] ' : ''}${p.probe}: expected ${p.expected}; got ${p.actual}`);
  if (problems.length > max) lines.push(`... ${problems.length - max} more problems in report.json`);
  const m = e.measurement;
  if (m !== undefined) {
    lines.push(
      `${m.scenario}: ${m.requests} requests, ${m.flows} flows, ${m.errors} errors in ${m.durationMs} ms at concurrency ${m.concurrency}; ` +
        `${m.requestsPerSecond} req/s, ${m.flowsPerSecond} flows/s; latency p50 ${m.latency.p50Ms} ms, p90 ${m.latency.p90Ms} ms, p99 ${m.latency.p99Ms} ms, max ${m.latency.maxMs} ms`,
    );
  }
  return lines;
}
