import { isM365Error, type M365Error } from '../../core/errors.js';
import type { Coverage } from '../../ingest/diff.js';
import { Follower } from '../../follow/follower.js';
import type { CheckOutcome, CheckResult } from '../../follow/updater.js';
import { DEFAULT_UPSTREAM } from '../../follow/web-service-client.js';
import { optionsHelp, resolveOptions, SERVE_OPTIONS, type OptionSpec } from '../../serve/config.js';
import { expandBooleanFlags, FOLLOW_OPTIONS, followConfig } from '../../follow/options.js';

/** Exit statuses of `m365fc update`: what the one check did. */
export const UPDATE_EXIT: Readonly<Record<CheckOutcome | 'store' | 'query' | 'usage', number>> = {
  updated: 0,
  current: 10,
  refused: 20,
  failed: 30,
  'rate-limited': 31,
  store: 40,
  query: 41,
  usage: 2,
};

const JSON_OPTION: OptionSpec = { key: 'json', flag: 'json', env: 'M365FC_UPDATE_JSON', kind: 'boolean', default: false, help: 'print the check result as JSON' };
// The serve options are accepted (and ignored) so that serve and update can share one --config file.
const SPECS: readonly OptionSpec[] = [...SERVE_OPTIONS, ...FOLLOW_OPTIONS, JSON_OPTION];
const SHOWN = new Set(['config', 'data', 'tenant', 'json', ...FOLLOW_OPTIONS.map((s) => s.key).filter((k) => !['pollInterval', 'webhook', 'webhookSecretFile', 'offline'].includes(k))]);

const HELP = `usage: m365fc update --state-dir DIR [--upstream URL] [--instance NAME] [--tenant NAME]
                     [--no-ipv6] [--service-areas LIST] [--max-shrink PCT] [--force]
                     [--reset-state-dir] [--json]

One check of Microsoft's endpoint web service, as the service's updater does it: GET /version;
only when its version differs from the one in DIR, GET /endpoints (and /changes). The new data
is written to DIR/last-known-good.json (atomically) only when it validates, is newer, and does
not lose more than --max-shrink % of the covered IPv4 or IPv6 addresses or host patterns
(--force takes it anyway, validation still applies). A running \`m365fc serve --state-dir DIR\`
of the same query picks it up at once, through the same gates. The check is made against the
data in DIR, else --data FILE, else the embedded bootstrap (the order serve starts in). DIR
records the query it was filled with (instance, tenant, --no-ipv6, --service-areas): another
query is refused (exit ${UPDATE_EXIT.query}) unless --reset-state-dir starts DIR anew. A 429 back-off
recorded in DIR is kept unless --force.

options:                      environment:
${optionsHelp(SPECS.filter((s) => SHOWN.has(s.key)))}

exit status:
  ${UPDATE_EXIT.updated}  updated: a newer version passed every gate and was written to DIR
  ${UPDATE_EXIT.current} current: the version in DIR is the latest; nothing written
  ${UPDATE_EXIT.refused} refused: upstream offered data that failed a gate (invalid, older, shrinks)
  ${UPDATE_EXIT.failed} failed: upstream fault (timeout, reset, 5xx, bad JSON, wrong content type)
  ${UPDATE_EXIT['rate-limited']} rate-limited: upstream answered 429, or its back-off still runs
  ${UPDATE_EXIT.store} the state directory cannot be read or written
  ${UPDATE_EXIT.query} the state directory holds data of another query (see --reset-state-dir)
   ${UPDATE_EXIT.usage}  bad usage or option
`;

/** A coded error as JSON shows it (an Error's message is not enumerable). */
function codedJson(e: M365Error | null): { code: string; message: string; details: Readonly<Record<string, unknown>> } | null {
  return e === null ? null : { code: e.code, message: e.message, details: e.details };
}

function pct(share: number): string {
  return `${(share * 100).toFixed(share > 0 && share < 0.01 ? 3 : 1)}%`;
}

function coverageText(c: Coverage | null): string {
  if (!c) return '';
  return `; lost IPv4 ${pct(c.ipv4.lostShare)}, IPv6 ${pct(c.ipv6.lostShare)}, hosts ${pct(c.hosts.lostShare)}`;
}

function summary(r: CheckResult): string {
  const err = r.error ? ` (${r.error.code}: ${r.error.message})` : '';
  switch (r.outcome) {
    case 'updated': {
      const t = r.diff?.totals;
      const sets = t ? `sets +${t.setsAdded} -${t.setsRemoved} ~${t.setsChanged}` : '';
      return `updated ${r.versionBefore} -> ${r.versionInUse} (${sets}${coverageText(r.coverage)})${r.forced ? ' [forced]' : ''}`;
    }
    case 'current':
      return `current: ${r.versionInUse} is the latest`;
    case 'refused':
      return `refused ${r.latest ?? '?'} at the ${r.gate ?? '?'} gate${err}${coverageText(r.coverage)}; still ${r.versionInUse}`;
    default:
      return `${r.outcome}${err}; still ${r.versionInUse}`;
  }
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return 0;
  }
  const fail = (code: number, message: string): number => {
    process.stderr.write(`m365fc update: ${message}\n`);
    return code;
  };
  let values;
  let follow;
  try {
    values = resolveOptions(SPECS, expandBooleanFlags(argv, SPECS), process.env);
    const tenant = typeof values['tenant'] === 'string' ? values['tenant'] : null;
    follow = followConfig({ ...values, upstream: values['upstream'] ?? DEFAULT_UPSTREAM }, { tenant, data: null });
  } catch (err) {
    return fail(UPDATE_EXIT.usage, isM365Error(err) ? `${err.code}: ${err.message}` : (err as Error).message);
  }
  if (follow.stateDir === null || follow.upstream === null) {
    process.stderr.write(HELP);
    return UPDATE_EXIT.usage;
  }
  for (const w of follow.warnings) if (!w.startsWith('webhooks')) process.stderr.write(`m365fc update: warning: ${w}\n`);

  const data = typeof values['data'] === 'string' ? values['data'] : null;
  let follower: Follower | null = null;
  try {
    // The same object serve uses, in its one-check role: same starting data, gates and state dir.
    follower = await Follower.open({ data, precedence: 'specific-first', follow, role: 'once' });
    const result = await follower.check({ force: follow.force });
    if (values['json'] === true) process.stdout.write(`${JSON.stringify({ ...result, error: codedJson(result.error), warnings: result.warnings.map(codedJson), status: follower.updater?.status() }, null, 2)}\n`);
    else process.stdout.write(`m365fc update: ${summary(result)}\n`);
    for (const w of result.warnings) process.stderr.write(`m365fc update: warning: ${w.code}: ${w.message}\n`);
    if (result.warnings.some((w) => w.code === 'M365FC_ERR_STORE_QUERY_MISMATCH')) return fail(UPDATE_EXIT.query, `the new data was not written to ${follow.stateDir}: it holds another query now`);
    if (result.warnings.some((w) => w.code.startsWith('M365FC_ERR_STORE_'))) {
      return fail(UPDATE_EXIT.store, `the new data could not be written to ${follow.stateDir}`);
    }
    return UPDATE_EXIT[result.outcome];
  } catch (err) {
    if (isM365Error(err) && err.code === 'M365FC_ERR_STORE_QUERY_MISMATCH') return fail(UPDATE_EXIT.query, `${err.code}: ${err.message}`);
    if (isM365Error(err) && err.code.startsWith('M365FC_ERR_STORE_')) return fail(UPDATE_EXIT.store, `${err.code}: ${err.message}`);
    throw err;
  } finally {
    await follower?.stop();
  }
}
