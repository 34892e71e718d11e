import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runCertification, writeReports, type CertificationData, type CertificationReport, type ProgressEvent, type Thresholds } from '../../../plugin-api/conformance/index.js';
import { M365Error } from '../../core/errors.js';
import { formatPorts } from '../../core/ports.js';
import { readDataFile } from '../../ingest/snapshot-file.js';
import type { Classifier } from '../../match/classifier.js';
import { createClassifier } from '../../match/create-classifier.js';
import { INSTANCES, type Instance, type PortRange, type Snapshot } from '../../core/types.js';

const HELP = `usage: m365fc certify --target URL [--token T | --token-file FILE] [--data FILE] [--upstream URL]
                      [--profile quick|full] [--report DIR] [--threshold-rps N] [--threshold-p99-ms N]
                      [--duration-s N] [--concurrency N] [--freshness-bound-s N] [--seed N] [--progress]

Runs the conformance checks against a service that implements openapi.yaml (ours or a vendor's)
and reports them: contract, correctness against our engine, robustness to bad input,
performance, and with --upstream freshness. Self-assessment evidence mapped to Microsoft's
network connectivity principles where a check tests one (checks about running the service carry
the kit's own tag, operations); not a Microsoft certification.

  --target URL           the service, e.g. http://127.0.0.1:8365
  --token T              bearer token for lookups (--token-file FILE reads it from a file)
  --data FILE            build vectors and the reference from this web service response or
                         snapshot (default: the target's own GET /v1/endpoints)
  --upstream URL         Microsoft's web service or a stand-in: the target must serve its latest
  --profile P            quick (default: performance measured only) or full (more vectors,
                         longer load, default thresholds)
  --report DIR           write report.json, junit.xml and report.html there
  --threshold-rps N      single-flow GET must reach N requests/s
  --threshold-p99-ms N   single-flow GET p99 latency must be at most N ms
  --duration-s N         performance window per scenario (quick 2, full 10)
  --concurrency N        requests in flight during performance runs (quick 8, full 32)
  --freshness-bound-s N  how long the target may take to serve the upstream's latest (default 30)
  --seed N               seed of the random addresses (default fixed: runs are repeatable)
  --progress             a progress line on stderr even when it is not a terminal

Exit status: 0 every required check passed, 1 a required check failed, 2 bad usage.
`;

function usage(message: string): never {
  throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', message);
}

function positive(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) usage(`--${name} must be a positive number, not "${v}"`);
  return n;
}

interface WireSetIn {
  tcpPorts?: unknown;
  udpPorts?: unknown;
  [field: string]: unknown;
}

/** /v1/endpoints gives port lists as ranges; the engine reads Microsoft's strings. */
function toWire(sets: CertificationData['sets']): unknown[] {
  return sets.map((s) => {
    const out: WireSetIn = { ...s };
    for (const f of ['tcpPorts', 'udpPorts'] as const) {
      const v = s[f];
      if (Array.isArray(v)) {
        if (v.length > 0) out[f] = formatPorts(v as readonly PortRange[]);
        else delete out[f];
      }
    }
    return out;
  });
}

/** The reference: our engine, specific-first, with the tenant the target fills in. */
function referenceFactory(snapshot: Snapshot | null): (d: CertificationData) => Classifier {
  return (d) => {
    const tenantName = d.tenant ?? undefined;
    if (snapshot !== null) return createClassifier(snapshot, { tenantName });
    const instance = INSTANCES.includes(d.instance as Instance) ? (d.instance as Instance) : undefined;
    return createClassifier(toWire(d.sets), { tenantName, version: d.version, instance });
  };
}

function progressWriter(tty: boolean): (e: ProgressEvent) => void {
  return (e) => {
    const head = `[${String(e.index).padStart(2)}/${e.total}]`;
    if (tty) {
      const line = e.phase === 'start' ? `${head} ${e.checkId} ...` : `${head} ${e.checkId} ${e.verdict ?? ''}`;
      process.stderr.write(`\r\x1b[K${line}${e.index === e.total && e.phase === 'done' ? '\n' : ''}`);
    } else if (e.phase === 'done') {
      process.stderr.write(`${head} ${e.verdict ?? ''} ${e.checkId}\n`);
    }
  };
}

function summaryText(r: CertificationReport): string {
  const lines = [`m365fc certify ${r.target} (${r.profile}): self-assessment, not a Microsoft certification`];
  const rank = (v: string): number => (v === 'fail' ? 0 : v === 'pass' ? 1 : 2);
  for (const c of [...r.checks].sort((a, b) => rank(a.verdict) - rank(b.verdict))) {
    lines.push(`  ${c.verdict.toUpperCase().padEnd(4)} ${c.required ? ' ' : '~'} ${c.id.padEnd(30)} ${c.summary}`);
  }
  const transport = r.summary.transportFailed > 0 ? `, ${r.summary.transportFailed} with no answer (transport)` : '';
  lines.push(`${r.summary.passed} passed, ${r.summary.failed} failed (${r.summary.requiredFailed} required${transport}), ${r.summary.skipped} skipped in ${(r.durationMs / 1000).toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}

interface CertifyArgs {
  readonly help: false;
  readonly target: string;
  readonly token: string | undefined;
  readonly snapshot: Snapshot | null;
  readonly upstream: string | undefined;
  readonly profile: 'quick' | 'full';
  readonly report: string | undefined;
  readonly thresholds: Thresholds;
  readonly boundMs: number | undefined;
  readonly durationMs: number | undefined;
  readonly concurrency: number | undefined;
  readonly seed: number | undefined;
  readonly progress: boolean;
}

type Parsed = { readonly help: true } | CertifyArgs;

function parse(argv: string[]): Parsed {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string' },
      token: { type: 'string' },
      'token-file': { type: 'string' },
      data: { type: 'string' },
      upstream: { type: 'string' },
      profile: { type: 'string' },
      report: { type: 'string' },
      'threshold-rps': { type: 'string' },
      'threshold-p99-ms': { type: 'string' },
      'freshness-bound-s': { type: 'string' },
      'duration-s': { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      progress: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return { help: true };
  if (values.target === undefined) usage('--target URL is required');
  if (values.profile !== undefined && values.profile !== 'quick' && values.profile !== 'full') usage(`--profile must be quick or full, not "${values.profile}"`);
  if (values.token !== undefined && values['token-file'] !== undefined) usage('give --token or --token-file, not both');
  const rps = positive('threshold-rps', values['threshold-rps']);
  const p99Ms = positive('threshold-p99-ms', values['threshold-p99-ms']);
  const bound = positive('freshness-bound-s', values['freshness-bound-s']);
  const duration = positive('duration-s', values['duration-s']);
  const concurrency = positive('concurrency', values.concurrency);
  if (concurrency !== undefined && !Number.isInteger(concurrency)) usage(`--concurrency must be an integer, not "${values.concurrency}"`);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isSafeInteger(seed)) usage(`--seed must be an integer, not "${values.seed}"`);
  return {
    help: false,
    target: values.target,
    token: values['token-file'] !== undefined ? readFileSync(values['token-file'], 'utf8').split(/\r?\n/)[0]?.trim() : values.token,
    snapshot: values.data === undefined ? null : readDataFile(values.data),
    upstream: values.upstream,
    profile: values.profile === 'full' ? 'full' : 'quick',
    report: values.report,
    thresholds: { ...(rps !== undefined ? { rps } : {}), ...(p99Ms !== undefined ? { p99Ms } : {}) },
    boundMs: bound === undefined ? undefined : bound * 1000,
    durationMs: duration === undefined ? undefined : duration * 1000,
    concurrency,
    seed,
    progress: values.progress === true,
  };
}

export async function run(argv: string[]): Promise<number> {
  let o: Parsed;
  try {
    o = parse(argv);
  } catch (err) {
    // Bad usage is exit status 2; a data file that does not load is a coded error (1).
    const e = err as { code?: unknown; message?: unknown };
    if (err instanceof M365Error && err.code !== 'M365FC_ERR_CONFIG_BAD_OPTION') throw err;
    if (err instanceof M365Error || (typeof e.code === 'string' && e.code.startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`m365fc certify: ${String(e.message)}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
  if (o.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const showProgress = process.stderr.isTTY === true || o.progress;
  const report = await runCertification({
    target: o.target,
    ...(o.token !== undefined && o.token !== '' ? { token: o.token } : {}),
    reference: referenceFactory(o.snapshot),
    ...(o.snapshot !== null ? { data: { version: o.snapshot.version, instance: o.snapshot.instance, sets: o.snapshot.sets } } : {}),
    ...(o.upstream !== undefined ? { upstream: { url: o.upstream, ...(o.boundMs !== undefined ? { boundMs: o.boundMs } : {}) } } : {}),
    profile: o.profile,
    performance: { ...(o.durationMs !== undefined ? { durationMs: o.durationMs } : {}), ...(o.concurrency !== undefined ? { concurrency: o.concurrency } : {}) },
    thresholds: o.thresholds,
    ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(showProgress ? { onProgress: progressWriter(process.stderr.isTTY === true) } : {}),
  });
  process.stdout.write(summaryText(report));
  if (o.report !== undefined) {
    const files = await writeReports(o.report, report);
    process.stdout.write(`reports: ${files.json} ${files.junit} ${files.html}\n`);
  }
  return report.summary.ok ? 0 : 1;
}
