import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeLogs, type LogFormat } from '../../analyze/analyze-logs.js';
import { FIELD_HELP, FIELDS, parseColumnMap } from '../../analyze/column-map.js';
import { fmtBytes, fmtInt, fmtPct } from '../../analyze/format-units.js';
import { fileInput, streamInput, type LogInput } from '../../analyze/open-input.js';
import { ProgressBar } from '../../analyze/progress.js';
import { renderReport } from '../../analyze/report-html.js';
import type { Summary } from '../../analyze/summary.js';
import { M365Error } from '../../core/errors.js';
import { createClassifier } from '../../match/create-classifier.js';
import type { Precedence } from '../../core/types.js';
import { loadDataOption } from '../load-data.js';

const HELP = `usage: m365fc analyze FILE... [--data FILE] [--format csv|jsonl|auto] [--map COLUMN=FIELD]...
                       [--report DIR] [--json] [--precedence specific-first|category-first] [--tenant NAME]

Reads flow logs (CSV with a header line, or JSON lines; gzip or plain, told by their first
bytes), classifies every flow and summarizes the traffic. FILE "-" or no FILE reads standard
input. Without --data the embedded bootstrap data is used.

  --report DIR   write DIR/summary.json and DIR/report.html (charts, no script)
  --json         print summary.json on standard output instead of the short text summary
  --map C=F      read field F from column (or JSON key) C; repeatable. Dotted keys reach into
                 nested JSON (dst.ip=ip). Fields:
${FIELDS.map((f) => `                   ${f.padEnd(9)}${FIELD_HELP[f]}`).join('\n')}
                 Common column names (dst_ip, dstport, sni, bytes, site, via...) need no --map.

A progress bar with rate and ETA is drawn on a terminal only. Lines that cannot be used are
counted and sampled in the report; they do not stop the run. Exit status: 0 done, 1 an input
could not be read to its end or the data is invalid (the report is still written when it can
be), 2 bad usage.
`;

const FORMATS: readonly LogFormat[] = ['auto', 'csv', 'jsonl'];

function textSummary(s: Summary, reportDir: string | undefined): string {
  const t = { flows: 0, bytes: 0 };
  for (const c of Object.values(s.byCategory)) {
    t.flows += c.flows;
    t.bytes += c.bytes;
  }
  const row = (name: string, c: { flows: number; bytes: number }): string =>
    `  ${name.padEnd(10)} ${fmtInt(c.flows).padStart(14)} flows ${fmtBytes(c.bytes).padStart(10)}  ${t.bytes > 0 ? fmtPct(c.bytes / t.bytes) : fmtPct(t.flows > 0 ? c.flows / t.flows : 0)}`;
  const lines = [
    `${fmtInt(s.records)} records from ${s.inputs.length} input(s), ${fmtInt(s.badLines)} bad lines; data ${s.data.instance} ${s.data.version}`,
    row('Optimize', s.byCategory.Optimize),
    row('Allow', s.byCategory.Allow),
    row('Default', s.byCategory.Default),
    row('none', s.byCategory.none),
    `could leave locally (Optimize + Allow): ${fmtPct(s.rankedBy === 'bytes' ? s.localBreakout.shareOfBytes : s.localBreakout.shareOfFlows)} of ${s.rankedBy}`,
    s.optimizePath.known ? `Optimize through a proxy/VPN: ${fmtPct(s.optimizePath.shareViaProxy)} (${fmtInt(s.optimizePath.viaProxy.flows)} flows, ${fmtBytes(s.optimizePath.viaProxy.bytes)})` : null,
    `required endpoint sets never seen: ${s.endpointSets.requiredNotSeen.map((x) => x.id).join(', ') || 'none'}`,
    reportDir !== undefined ? `report: ${join(reportDir, 'report.html')}, ${join(reportDir, 'summary.json')}` : null,
  ];
  return `${lines.filter((l) => l !== null).join('\n')}\n`;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      format: { type: 'string', default: 'auto' },
      map: { type: 'string', multiple: true, default: [] },
      report: { type: 'string' },
      json: { type: 'boolean' },
      precedence: { type: 'string' },
      tenant: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
}

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`m365fc analyze: ${err instanceof Error ? err.message : String(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const format = values.format as LogFormat;
  if (!FORMATS.includes(format)) {
    process.stderr.write(`m365fc analyze: --format must be csv, jsonl or auto, not "${values.format}"\n`);
    return 2;
  }
  let map;
  try {
    map = parseColumnMap(values.map);
  } catch (err) {
    process.stderr.write(`m365fc analyze: ${err instanceof M365Error ? err.message : String(err)}\n`);
    return 2;
  }
  const names = positionals.length === 0 ? ['-'] : positionals;
  if (names.filter((n) => n === '-').length > 1) {
    process.stderr.write('m365fc analyze: standard input ("-") can be read only once\n');
    return 2;
  }
  if (names.includes('-') && process.stdin.isTTY) {
    process.stderr.write(`m365fc analyze: no FILE given and standard input is a terminal\n\n${HELP}`);
    return 2;
  }
  const inputs: LogInput[] = [];
  for (const name of names) {
    if (name === '-') {
      inputs.push(streamInput('-', process.stdin));
      continue;
    }
    try {
      inputs.push(fileInput(name));
    } catch (err) {
      process.stderr.write(`m365fc analyze: cannot read ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }

  const classifier = createClassifier(loadDataOption(values.data), {
    precedence: values.precedence as Precedence | undefined,
    tenantName: values.tenant,
  });
  const bar = process.stderr.isTTY ? new ProgressBar(process.stderr) : null;
  const summary = await analyzeLogs(inputs, {
    classifier,
    format,
    map,
    ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
  });
  bar?.finish();

  if (values.report !== undefined) {
    mkdirSync(values.report, { recursive: true });
    writeFileSync(join(values.report, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(join(values.report, 'report.html'), renderReport(summary));
  }
  process.stdout.write(values.json ? `${JSON.stringify(summary, null, 2)}\n` : textSummary(summary, values.report));
  let status = 0;
  for (const i of summary.inputs) {
    if (i.error !== null) {
      process.stderr.write(`m365fc analyze: ${i.name}: stopped early: ${i.error}\n`);
      status = 1;
    }
  }
  return status;
}
