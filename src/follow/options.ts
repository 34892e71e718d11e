import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { M365Error } from '../core/errors.js';
import { checkInstance } from '../ingest/parse-endpoints.js';
import { DEFAULT_MAX_SHRINK, DEFAULT_POLL_INTERVAL_MS, DEFAULT_STALE_AFTER_MS } from './updater.js';
import { DEFAULT_UPSTREAM, SERVICE_AREAS } from './web-service-client.js';
import { INSTANCES, type Instance } from '../core/types.js';
import type { OptionSpec, OptionValue } from '../core/option-spec.js';
import type { WebhookTarget } from './webhooks.js';

/**
 * The options of following Microsoft's web service, shared by `m365fc serve` (as extra options
 * of its config) and `m365fc update`: each has a flag, an environment variable and a config-file
 * key. The updater runs unless --offline is given (the service follows Microsoft by default);
 * with --data it runs only when --upstream is given (then the file is only the starting data).
 */

export const FOLLOW_OPTIONS: readonly OptionSpec[] = [
  { key: 'upstream', flag: 'upstream', env: 'M365FC_UPSTREAM', kind: 'string', default: null, help: `the web service to follow (when polling: ${DEFAULT_UPSTREAM})` },
  { key: 'instance', flag: 'instance', env: 'M365FC_INSTANCE', kind: 'enum', values: INSTANCES, default: 'Worldwide', help: 'Microsoft 365 instance' },
  { key: 'noIpv6', flag: 'no-ipv6', env: 'M365FC_NO_IPV6', kind: 'boolean', default: false, help: 'ask upstream without IPv6 prefixes (NoIPv6=true)' },
  { key: 'serviceAreas', flag: 'service-areas', env: 'M365FC_SERVICE_AREAS', kind: 'string', default: null, help: `only these service areas, comma-separated (${SERVICE_AREAS.join(', ')})` },
  { key: 'pollInterval', flag: 'poll-interval', env: 'M365FC_POLL_INTERVAL', kind: 'integer', min: 1, max: 31 * 86_400, default: DEFAULT_POLL_INTERVAL_MS / 1000, help: 'seconds between version checks, plus up to 10% jitter; Microsoft asks for >= 3600' },
  { key: 'stateDir', flag: 'state-dir', env: 'M365FC_STATE_DIR', kind: 'string', default: null, help: 'keeps the clientrequestid, last-known-good data and updater status' },
  { key: 'staleAfter', flag: 'stale-after', env: 'M365FC_STALE_AFTER', kind: 'integer', min: 1, max: 365 * 86_400, default: DEFAULT_STALE_AFTER_MS / 1000, help: 'seconds after which data not confirmed current is reported stale' },
  { key: 'maxShrink', flag: 'max-shrink', env: 'M365FC_MAX_SHRINK', kind: 'integer', min: 0, max: 100, default: DEFAULT_MAX_SHRINK * 100, help: 'refuse a version that loses more than this % of covered addresses (per family) or host patterns' },
  { key: 'force', flag: 'force', env: 'M365FC_FORCE', kind: 'boolean', default: false, help: 'take the next version even if it goes backwards or shrinks (validation still applies)' },
  { key: 'webhook', flag: 'webhook', env: 'M365FC_WEBHOOK', kind: 'string', default: null, help: 'URLs to POST change events to, comma-separated' },
  { key: 'resetStateDir', flag: 'reset-state-dir', env: 'M365FC_RESET_STATE_DIR', kind: 'boolean', default: false, help: 'start --state-dir anew when it holds data of another query (its last-known-good and status are removed)' },
  { key: 'webhookSecretFile', flag: 'webhook-secret-file', env: 'M365FC_WEBHOOK_SECRET_FILE', kind: 'string', default: null, help: 'file holding the HMAC-SHA256 key that signs webhook bodies' },
  { key: 'offline', flag: 'offline', env: 'M365FC_OFFLINE', kind: 'boolean', default: false, help: 'serve the embedded or --data data and never touch the network (no updater, no state dir)' },
];

/**
 * Where the service keeps its state when no --state-dir is given: $XDG_STATE_HOME/m365fc, else
 * ~/.local/state/m365fc (the XDG base directory spec's place for state that survives restarts).
 * $M365FC_STATE_DIR, the option's own variable, comes before both. The systemd unit and the
 * container set /var/lib/m365fc.
 */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>>, home: () => string = homedir): string {
  const xdg = env['XDG_STATE_HOME'];
  // The spec says a relative XDG path is invalid and must be ignored.
  if (xdg !== undefined && xdg.startsWith('/')) return join(xdg, 'm365fc');
  return join(home(), '.local', 'state', 'm365fc');
}

/**
 * The default state dir if it can be created and written; else null and why. An operator who
 * gave no --state-dir chose nothing that could fail: the service then follows without state
 * (a warning says so) rather than refusing to start.
 */
export function usableDefaultStateDir(env: Readonly<Record<string, string | undefined>>): { dir: string | null; warning: string | null } {
  let dir: string;
  try {
    dir = defaultStateDir(env);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return { dir: null, warning: `the default state dir cannot be used (${(err as Error).message}): following without state; give --state-dir` };
  }
  return { dir, warning: null };
}

export interface FollowConfig {
  /** null: no updater runs. */
  readonly upstream: string | null;
  readonly instance: Instance;
  readonly tenant: string | null;
  readonly noIPv6: boolean;
  readonly serviceAreas: readonly string[] | undefined;
  readonly pollIntervalMs: number;
  readonly staleAfterMs: number;
  readonly maxShrink: number;
  readonly stateDir: string | null;
  /** Start the state dir anew when it records another query (else that is refused). */
  readonly resetStateDir: boolean;
  readonly force: boolean;
  readonly webhooks: readonly WebhookTarget[];
  /** Things an operator should know (a short poll interval against Microsoft, say). */
  readonly warnings: readonly string[];
}

/**
 * resolveOptions reads every flag as `--flag VALUE`; a boolean flag given bare (`--no-ipv6`,
 * `--force`) is rewritten to `--flag=true` so that both spellings work.
 */
export function expandBooleanFlags(argv: readonly string[], specs: readonly OptionSpec[]): string[] {
  const booleans = new Set(specs.filter((s) => s.kind === 'boolean').map((s) => `--${s.flag}`));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = argv[i + 1];
    if (booleans.has(a) && (next === undefined || next.startsWith('--') || !/^(true|false|1|0)$/.test(next))) out.push(`${a}=true`);
    else out.push(a);
  }
  return out;
}

function bad(option: string, message: string, value: unknown): M365Error {
  return new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `--${option}: ${message}`, { option, value });
}

function serviceAreas(text: string | null): string[] | undefined {
  if (text === null) return undefined;
  const areas = text.split(',').map((a) => a.trim()).filter((a) => a !== '');
  const canonical = areas.map((a) => SERVICE_AREAS.find((s) => s.toLowerCase() === a.toLowerCase()));
  const unknown = areas.filter((_a, i) => canonical[i] === undefined);
  if (unknown.length > 0) throw bad('service-areas', `unknown service area ${unknown.join(', ')}; expected ${SERVICE_AREAS.join(', ')}`, text);
  return canonical.filter((a): a is (typeof SERVICE_AREAS)[number] => a !== undefined);
}

/** The follow configuration from resolved option values (`ServeConfig.extra`, say). */
export function followConfig(
  v: Readonly<Record<string, OptionValue>>,
  o: {
    readonly tenant: string | null;
    readonly data: string | null;
    readonly readFile?: (path: string) => string;
    /** The state dir when none is given and the service follows upstream (`m365fc serve`
     * passes defaultStateDir(process.env)); without it such a follower keeps no state. */
    readonly defaultStateDir?: string | null;
  },
): FollowConfig {
  const str = (k: string): string | null => (typeof v[k] === 'string' ? (v[k] as string) : null);
  const offline = v['offline'] === true;
  const upstreamGiven = str('upstream');
  if (offline && upstreamGiven !== null) throw bad('offline', 'cannot be combined with --upstream', upstreamGiven);
  // Following is the default; --data pins the data unless --upstream asks to follow from it.
  const polls = !offline && (upstreamGiven !== null || o.data === null);
  const upstream = polls ? (upstreamGiven ?? DEFAULT_UPSTREAM) : null;
  const stateDir = offline ? null : (str('stateDir') ?? (polls ? (o.defaultStateDir ?? null) : null));
  if (upstream !== null) {
    let u: URL;
    try {
      u = new URL(upstream);
    } catch {
      throw bad('upstream', 'is not a URL', upstream);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw bad('upstream', 'must be http(s)', upstream);
  }
  const pollIntervalMs = ((v['pollInterval'] as number | null) ?? DEFAULT_POLL_INTERVAL_MS / 1000) * 1000;
  const warnings: string[] = [];
  if (offline && str('stateDir') !== null) warnings.push(`--offline: the state dir ${str('stateDir')} is not used`);
  if (upstream !== null && new URL(upstream).hostname.toLowerCase() === 'endpoints.office.com' && pollIntervalMs < 3_600_000) {
    warnings.push(`--poll-interval ${pollIntervalMs / 1000} s: Microsoft asks for at most one version check an hour`);
  }
  if (upstream === null && stateDir !== null) {
    warnings.push('--state-dir is not used: with --data, nothing is followed unless --upstream is given too');
  }
  if (upstream !== null && stateDir === null) {
    warnings.push('no --state-dir: the clientrequestid and the last-known-good data do not survive a restart');
  }
  const webhookUrls = (str('webhook') ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  for (const u of webhookUrls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw bad('webhook', `"${u}" is not a URL`, u);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad('webhook', `"${u}" must be http(s)`, u);
  }
  const secretFile = str('webhookSecretFile');
  let secret: string | undefined;
  if (secretFile !== null) {
    try {
      secret = (o.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(secretFile).trim();
    } catch (err) {
      throw bad('webhook-secret-file', (err as Error).message, secretFile);
    }
    if (secret === '') throw bad('webhook-secret-file', 'is empty', secretFile);
  }
  if (webhookUrls.length > 0 && secret === undefined) warnings.push('webhooks without --webhook-secret-file are not signed');
  return {
    upstream,
    instance: checkInstance((v['instance'] as string | null) ?? 'Worldwide'),
    tenant: o.tenant,
    noIPv6: v['noIpv6'] === true,
    serviceAreas: serviceAreas(str('serviceAreas')),
    pollIntervalMs,
    staleAfterMs: ((v['staleAfter'] as number | null) ?? DEFAULT_STALE_AFTER_MS / 1000) * 1000,
    maxShrink: ((v['maxShrink'] as number | null) ?? DEFAULT_MAX_SHRINK * 100) / 100,
    stateDir,
    resetStateDir: v['resetStateDir'] === true,
    force: v['force'] === true,
    webhooks: webhookUrls.map((url) => ({ url, ...(secret !== undefined ? { secret } : {}) })),
    warnings,
  };
}
