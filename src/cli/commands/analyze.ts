import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyzeLogs, DEFAULT_JOIN_WINDOW } from '../../analyze/analyze-logs.js';
import { DEFAULT_INTERNAL, InternalNets } from '../../analyze/internal-nets.js';
import { FORMATS as KNOWN_FORMATS, type LogFormat } from '../../analyze/log-formats.js';
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

const HELP = `usage: m365fc analyze FILE... [--data FILE] [--format FORMAT] [--map COLUMN=FIELD]...
                       [--internal CIDR,...] [--join-window SECONDS] [--report DIR] [--json]
                       [--precedence specific-first|category-first] [--tenant NAME]

Reads flow logs (gzip or plain, told by their first bytes), classifies every connection and
summarizes the traffic. FILE "-" or no FILE reads standard input. Without --data the embedded
bootstrap data is used. Formats, told from the first line (or named with --format):
  zeek-conn, zeek-ssl  Zeek conn.log / ssl.log, TSV or JSON (both given: joined on uid)
  aws-vpc              AWS VPC Flow Logs, default v2 fields or with a header line
  nfdump               nfdump -o csv
  panos-traffic        PAN-OS traffic log, web UI CSV export or syslog CSV
  azure-nsg            Azure NSG flow log (v1, v2) or VNet flow log JSON
  csv, jsonl           any CSV with a header line, or JSON lines (column names below)

  --internal C,...  internal networks (default RFC 1918, 100.64.0.0/10, loopback, link-local,
                    fc00::/7): of a record's two ends, the other one is the Microsoft side
  --join-window S   seconds within which a reply record joins its request (default ${DEFAULT_JOIN_WINDOW})

  --report DIR   write DIR/summary.json and DIR/report.html (charts, no script)
  --json         print summary.json on standard output instead of the short text summary
  --map C=F      read field F from column (or JSON key) C; repeatable. Dotted keys reach into
                 nested JSON (dst.ip=ip). Fields:
${FIELDS.map((f) => `                   ${f.padEnd(9)}${FIELD_HELP[f]}`).join('\n')}
                 Common column names (dst_ip, dstport, sni, bytes, site, via...) need no --map.

A progress bar with rate and ETA is drawn on a terminal only. Lines that cannot be used are
counted and sampled in the report; they do not stop the run. Exit status: 0 done, 1 an input
could not be read to its end or the data is invalid (the report is still written when it can
be), 2 bad usage, or no record could be read (every line bad, or none at all).
`;

const FORMATS: readonly LogFormat[] = ['auto', ...KNOWN_FORMATS];

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
    s.flows !== s.records ? `${fmtInt(s.flows)} connections (records of one connection joined: both directions, Azure's B/C/E tuples)` : null,
    row('Optimize', s.byCategory.Optimize),
    row('Allow', s.byCategory.Allow),
    row('Default', s.byCategory.Default),
    row('none', s.byCategory.none),
    `could leave locally (Optimize + Allow): ${fmtPct(s.rankedBy === 'bytes' ? s.localBreakout.shareOfBytes : s.localBreakout.shareOfFlows)} of ${s.rankedBy}`,
    `ExpressRoute-eligible (expressRoute: true): ${fmtPct(s.rankedBy === 'bytes' ? s.expressRoute.shareOfBytes : s.expressRoute.shareOfFlows)} of ${s.rankedBy} (${fmtInt(s.expressRoute.flows)} flows, ${fmtBytes(s.expressRoute.bytes)})`,
    s.internalDestinations.flows > 0
      ? `warning: ${fmtInt(s.internalDestinations.flows)} flows have an internal destination (${s.internalDestinations.examples.join(', ')}): name your networks with --internal`
      : null,
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
      internal: { type: 'string' },
      'join-window': { type: 'string' },
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
    process.stderr.write(`m365fc analyze: --format must be one of ${FORMATS.join(', ')}, not "${values.format}"\n`);
    return 2;
  }
  const internal = values.internal === undefined ? DEFAULT_INTERNAL : values.internal.split(',').map((c) => c.trim()).filter((c) => c.length > 0);
  const joinWindow = values['join-window'] === undefined ? DEFAULT_JOIN_WINDOW : Number(values['join-window']);
  try {
    new InternalNets(internal);
    if (!Number.isFinite(joinWindow) || joinWindow < 0) throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `--join-window must be a number of seconds, not "${values['join-window']}"`);
  } catch (err) {
    process.stderr.write(`m365fc analyze: ${err instanceof Error ? err.message : String(err)}\n`);
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
    internal,
    joinWindow,
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
  if (summary.records === 0) {
    // Nothing was read: a wrong format or column map, not a network without traffic.
    const first = summary.badLineSamples[0];
    const formats = summary.inputs.map((i) => `${i.name}: ${i.format}`).join(', ');
    const why = first !== undefined ? `; every line was bad, the first (${first.file} line ${first.line}): ${first.reason}` : '';
    process.stderr.write(`m365fc analyze: M365FC_ERR_ANALYZE_NO_RECORDS: no record could be read (detected format ${formats})${why}\n`);
    status = 2;
  }
  for (const i of summary.inputs) {
    if (i.error !== null) {
      process.stderr.write(`m365fc analyze: ${i.name}: stopped early: ${i.error}\n`);
      if (status === 0) status = 1;
    }
  }
  return status;
}
