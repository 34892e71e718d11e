import { isM365Error } from '../../core/errors.js';
import type { Classifier } from '../../match/classifier.js';
import { createClassifier } from '../../match/create-classifier.js';
import { loadBootstrapSnapshot } from '../../ingest/bootstrap.js';
import type { Coverage } from '../../ingest/diff.js';
import { readDataFile } from '../../ingest/snapshot-file.js';
import { StateStore } from '../../ingest/state-store.js';
import { Updater, type CheckOutcome, type CheckResult, type DataInUse } from '../../ingest/updater.js';
import { DEFAULT_UPSTREAM, WebServiceClient } from '../../ingest/web-service-client.js';
import { optionsHelp, resolveOptions, SERVE_OPTIONS, type OptionSpec } from '../../serve/config.js';
import { expandBooleanFlags, FOLLOW_OPTIONS, followConfig } from '../../serve/follow-options.js';
import type { Snapshot } from '../../core/types.js';

/** Exit statuses of `m365fc update`: what the one check did. */
export const UPDATE_EXIT: Readonly<Record<CheckOutcome | 'store' | 'usage', number>> = {
  updated: 0,
  current: 10,
  refused: 20,
  failed: 30,
  'rate-limited': 31,
  store: 40,
  usage: 2,
};

const JSON_OPTION: OptionSpec = { key: 'json', flag: 'json', env: 'M365FC_UPDATE_JSON', kind: 'boolean', default: false, help: 'print the check result as JSON' };
// The serve options are accepted (and ignored) so that serve and update can share one --config file.
const SPECS: readonly OptionSpec[] = [...SERVE_OPTIONS, ...FOLLOW_OPTIONS, JSON_OPTION];
const SHOWN = new Set(['config', 'data', 'tenant', 'json', ...FOLLOW_OPTIONS.map((s) => s.key).filter((k) => !['pollInterval', 'webhook', 'webhookSecretFile'].includes(k))]);

const HELP = `usage: m365fc update --state-dir DIR [--upstream URL] [--instance NAME] [--tenant NAME]
                     [--no-ipv6] [--service-areas LIST] [--max-shrink PCT] [--force] [--json]

One check of Microsoft's endpoint web service, as the service's updater does it: GET /version;
only when its version differs from the one in DIR, GET /endpoints (and /changes). The new data
is written to DIR/last-known-good.json (atomically) only when it validates, is newer, and does
not lose more than --max-shrink % of the covered IPv4 or IPv6 addresses or host patterns
(--force takes it anyway, validation still applies). A running \`m365fc serve --state-dir DIR\`
picks it up at its next start. Without data in DIR the check is made against --data FILE, or the
embedded bootstrap. A 429 back-off recorded in DIR is kept unless --force.

options:                      environment:
${optionsHelp(SPECS.filter((s) => SHOWN.has(s.key)))}

exit status:
  ${UPDATE_EXIT.updated}  updated: a newer version passed every gate and was written to DIR
  ${UPDATE_EXIT.current} current: the version in DIR is the latest; nothing written
  ${UPDATE_EXIT.refused} refused: upstream offered data that failed a gate (invalid, older, shrinks)
  ${UPDATE_EXIT.failed} failed: upstream fault (timeout, reset, 5xx, bad JSON, wrong content type)
  ${UPDATE_EXIT['rate-limited']} rate-limited: upstream answered 429, or its back-off still runs
  ${UPDATE_EXIT.store} the state directory cannot be read or written
   ${UPDATE_EXIT.usage}  bad usage or option
`;

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

  const build = (s: Snapshot): Classifier => createClassifier(s, { tenantName: follow.tenant ?? undefined });
  const store = new StateStore(follow.stateDir, (e) => process.stderr.write(`m365fc update: ${e.code}: ${e.message}\n`));
  let client: WebServiceClient | null = null;
  try {
    const { clientRequestId } = await store.installation();
    const lkg = await store.readLastKnownGood();
    const data = typeof values['data'] === 'string' ? values['data'] : null;
    let initial: DataInUse<Classifier>;
    if (lkg?.ok) initial = { snapshot: lkg.value, index: build(lkg.value), source: 'state' };
    else {
      const snapshot = data !== null ? readDataFile(data) : loadBootstrapSnapshot();
      initial = { snapshot, index: build(snapshot), source: data !== null ? 'file' : 'bootstrap' };
    }
    const persisted = await store.readStatus();
    client = new WebServiceClient({
      baseUrl: follow.upstream,
      instance: follow.instance,
      clientRequestId,
      ...(follow.tenant !== null ? { tenantName: follow.tenant } : {}),
      noIPv6: follow.noIPv6,
      serviceAreas: follow.serviceAreas,
    });
    const updater = new Updater<Classifier>({
      client,
      build,
      initial,
      store,
      persisted: persisted?.ok ? persisted.value : null,
      maxShrink: follow.maxShrink,
      staleAfterMs: follow.staleAfterMs,
    });
    const result = await updater.check({ force: follow.force });
    if (values['json'] === true) process.stdout.write(`${JSON.stringify({ ...result, status: updater.status() }, null, 2)}\n`);
    else process.stdout.write(`m365fc update: ${summary(result)}\n`);
    if (result.warnings.some((w) => w.code.startsWith('M365FC_ERR_STORE_'))) {
      return fail(UPDATE_EXIT.store, `the new data could not be written to ${follow.stateDir}`);
    }
    return UPDATE_EXIT[result.outcome];
  } catch (err) {
    if (isM365Error(err) && err.code.startsWith('M365FC_ERR_STORE_')) return fail(UPDATE_EXIT.store, `${err.code}: ${err.message}`);
    throw err;
  } finally {
    await client?.close();
  }
}
