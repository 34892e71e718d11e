import { PRINCIPLE_SOURCES, PRINCIPLES, PRINCIPLES_URL, SOURCE_TITLES } from '../principles.js';
import type { CertificationReport, CheckResult } from '../types.js';
import { escapeXml as e } from './escape.js';
import { latencyChart } from './svg.js';

// A person reads the first of each; all of it stays in report.json.
const MAX_ROWS = 100;

function order(r: CertificationReport): CheckResult[] {
  const rank = (c: CheckResult): number => (c.verdict === 'fail' ? (c.required ? 0 : 1) : c.verdict === 'pass' ? 2 : 3);
  return r.checks.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
}

function json(v: unknown): string {
  return e(typeof v === 'string' ? v : JSON.stringify(v));
}

/** The principle cell: its title, marked when the tag is the kit's own. */
function principleCell(c: CheckResult): string {
  const own = PRINCIPLE_SOURCES[c.principle] === 'm365fc' ? ` <small>(kit's own tag)</small>` : '';
  return `<td title="${e(c.principle)}">${e(PRINCIPLES[c.principle])}${own}</td>`;
}

/** A fail says which kind: a wrong answer, or none at all. */
function verdictCell(c: CheckResult): string {
  const how = c.failure === 'transport' ? ' (no answer: transport)' : c.failure === 'answer' ? ' (wrong answer)' : '';
  return `<td class="${c.verdict}">${c.verdict}${how}</td>`;
}

function details(c: CheckResult): string {
  const ev = c.evidence;
  const parts: string[] = [`<h3 id="${e(c.id)}">${e(c.id)} <span class="${c.verdict}">${c.verdict}</span></h3>`, `<p>${e(c.title)}. ${e(c.summary)}</p>`];
  if (ev.notes?.length) parts.push(`<ul>${ev.notes.map((n) => `<li>${e(n)}</li>`).join('')}</ul>`);
  if (ev.counts !== undefined) parts.push(`<p class="counts">${Object.entries(ev.counts).map(([k, v]) => `${e(k)}: ${v}`).join(' · ')}</p>`);
  const mm = ev.mismatches ?? [];
  if (mm.length > 0) {
    const rows = mm.slice(0, MAX_ROWS).map((m) => `<tr><td>${e(m.vector)}</td><td><code>${json(m.flow)}</code></td><td><code>${json(m.expected)}</code></td><td><code>${json(m.actual)}</code></td><td>${e((m.fields ?? []).join(', '))}</td></tr>`);
    parts.push(`<table><tr><th>vector</th><th>flow</th><th>expected (reference)</th><th>actual (target)</th><th>differs in</th></tr>${rows.join('')}</table>`);
    if (mm.length > MAX_ROWS) parts.push(`<p>${mm.length - MAX_ROWS} more mismatches in report.json.</p>`);
  }
  const pp = ev.problems ?? [];
  if (pp.length > 0) {
    const rows = pp.slice(0, MAX_ROWS).map((p) => `<tr><td><code>${e(p.probe)}</code></td><td>${e(p.expected)}</td><td>${e(p.actual)}</td><td>${p.kind === 'transport' ? 'no answer (transport)' : 'wrong answer'}</td></tr>`);
    parts.push(`<table><tr><th>probe</th><th>expected</th><th>got</th><th>failure</th></tr>${rows.join('')}</table>`);
    if (pp.length > MAX_ROWS) parts.push(`<p>${pp.length - MAX_ROWS} more problems in report.json.</p>`);
  }
  return `<section>${parts.join('\n')}</section>`;
}

/** report.html: one self-contained page; summary table with failures first, latency charts inline. */
export function renderHtml(r: CertificationReport): string {
  const ordered = order(r);
  const verdict = r.summary.ok ? '<span class="pass">every required check passed</span>' : `<span class="fail">${r.summary.requiredFailed} required check(s) failed</span>`;
  const info = r.targetInfo ?? {};
  const summaryRows = ordered.map(
    (c) => `<tr><td><a href="#${e(c.id)}">${e(c.id)}</a></td>${verdictCell(c)}<td>${c.required ? 'yes' : 'no'}</td>${principleCell(c)}<td>${e(c.summary)}</td></tr>`,
  );
  const principleRows = r.principles.map((p) => `<tr><td>${e(p.title)}</td><td>${e(SOURCE_TITLES[p.source])}</td><td>${p.checks}</td><td class="${p.failed > 0 ? 'fail' : 'pass'}">${p.failed}</td></tr>`);
  const charts = r.checks.flatMap((c) => (c.evidence.measurement ? [`<figure>${latencyChart(c.evidence.measurement)}</figure>`] : []));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>m365fc certification run: ${e(r.target)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{font-size:.8rem;word-break:break-all}.pass{color:#1d7a31;font-weight:600}.fail{color:#b3261e;font-weight:600}.skip{color:#777}
.banner{border:2px solid #c98a00;background:#fff8e1;padding:.75rem 1rem;margin-bottom:1rem}.counts{color:#555}figure{margin:0 0 1rem}
</style></head><body>
<h1>m365-flow-classifier certification run</h1>
<div class="banner"><strong>Self-assessment, not Microsoft certification.</strong> ${e(r.framing)}
Principles: <a href="${PRINCIPLES_URL}">Microsoft 365 network connectivity principles</a>; checks about running the service (contract, robustness, performance) carry the kit's own tag, ${e(PRINCIPLES.operations)}.</div>
<p>Target <code>${e(r.target)}</code> · profile ${r.profile} · seed ${r.seed} · started ${e(r.startedAt)} · ${(r.durationMs / 1000).toFixed(1)} s<br>
Target data version ${e(String(info['version'] ?? 'unknown'))} (${e(String(info['source'] ?? 'unknown source'))}, precedence ${e(String(info['precedence'] ?? 'unknown'))}) · vectors from ${r.data.source} data ${e(String(r.data.version ?? ''))}, ${r.data.sets} sets${r.upstream ? ` · upstream <code>${e(r.upstream)}</code>` : ''}</p>
<h2>Result: ${verdict}</h2>
<p>${r.summary.passed} passed · ${r.summary.failed} failed${r.summary.transportFailed > 0 ? ` (${r.summary.transportFailed} with no answer: transport)` : ''} · ${r.summary.skipped} skipped of ${r.summary.total} checks.</p>
<table><tr><th>check</th><th>verdict</th><th>required</th><th>principle</th><th>summary</th></tr>
${summaryRows.join('\n')}
</table>
<h2>By principle</h2>
<table><tr><th>principle</th><th>source</th><th>checks</th><th>failed</th></tr>${principleRows.join('')}</table>
<h2>Latency</h2>
${charts.length > 0 ? charts.join('\n') : '<p>No performance measurement.</p>'}
<h2>Evidence</h2>
${ordered.map(details).join('\n')}
<p><small>${e(r.tool.name)} ${e(r.tool.kit)} · report format ${r.format}/${r.formatVersion}</small></p>
</body></html>
`;
}
