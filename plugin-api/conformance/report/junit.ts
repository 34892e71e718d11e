import { PRINCIPLE_SOURCES, PRINCIPLES } from '../principles.js';
import type { CertificationReport, CheckResult } from '../types.js';
import { escapeXml } from './escape.js';
import { evidenceLines } from './text.js';

function testcase(c: CheckResult): string {
  const head = `    <testcase classname="m365fc.certify.${c.group}" name="${escapeXml(`${c.id}: ${c.title}`)}" time="${(c.durationMs / 1000).toFixed(3)}">`;
  const props = [
    ['principle', c.principle],
    ['principle-title', PRINCIPLES[c.principle]],
    ['principle-source', PRINCIPLE_SOURCES[c.principle]],
    ['required', String(c.required)],
    ...(c.failure !== null ? [['failure', c.failure]] : []),
  ].map(([k, v]) => `<property name="${k}" value="${escapeXml(v ?? '')}"/>`);
  const evidence = escapeXml(evidenceLines(c, 200).join('\n'));
  // JUnit's own distinction: <failure> for a wrong answer, <error> when no answer came.
  const element = c.failure === 'transport' ? 'error' : 'failure';
  const type = c.failure === 'transport' ? 'transport' : c.required ? 'required' : 'informational';
  const body =
    c.verdict === 'fail'
      ? `      <${element} message="${escapeXml(c.summary)}" type="${type}">${evidence}</${element}>`
      : c.verdict === 'skip'
        ? `      <skipped message="${escapeXml(c.summary)}"/>`
        : `      <system-out>${escapeXml([c.summary, ...evidenceLines(c, 20)].join('\n'))}</system-out>`;
  return [head, `      <properties>${props.join('')}</properties>`, body, '    </testcase>'].join('\n');
}

/** JUnit XML as CI systems read it: one testsuite per check group, one testcase per check. */
export function renderJunit(r: CertificationReport): string {
  const groups = [...new Set(r.checks.map((c) => c.group))];
  const suites = groups.map((g) => {
    const cs = r.checks.filter((c) => c.group === g);
    const time = cs.reduce((t, c) => t + c.durationMs, 0) / 1000;
    const errors = cs.filter((c) => c.failure === 'transport').length;
    const failures = cs.filter((c) => c.verdict === 'fail').length - errors;
    const skipped = cs.filter((c) => c.verdict === 'skip').length;
    return [
      `  <testsuite name="m365fc.certify.${g}" tests="${cs.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time.toFixed(3)}" timestamp="${r.startedAt.slice(0, 19)}">`,
      ...cs.map(testcase),
      '  </testsuite>',
    ].join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(`m365fc certify ${r.target}`)}" tests="${r.summary.total}" failures="${r.summary.failed - r.summary.transportFailed}" errors="${r.summary.transportFailed}" skipped="${r.summary.skipped}" time="${(r.durationMs / 1000).toFixed(3)}">`,
    `  <!-- ${escapeXml(r.framing).replace(/--/g, '- -')} -->`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}
