import { M365Error, isM365Error } from '../core/errors.js';
import { measureCoverage, type Coverage, type CoverageScope } from '../ingest/diff.js';
import { UNKNOWN_VERSION } from '../ingest/parse-endpoints.js';
import type { Instance, Snapshot } from '../core/types.js';
import { describeQuery, fetchedWith, queryOfOrigin, type UpstreamQuery } from './query.js';

/**
 * The gates every new version passes before it reaches the live index, whatever brought it: the
 * web service (updater.ts), the state dir another process wrote (state-watch.ts), or the data
 * file re-read on SIGHUP. A refused version never replaces the data in use; the Refusal carries
 * a coded error for the log, the status and the webhook.
 *
 *   query:    the same instance, and data fetched with the same query (service areas, NoIPv6,
 *             tenant): a narrower query would silently drop answers.
 *   version:  not older than the version in use (equal: nothing to do).
 *   validate: parses (done by the reader) and compiles.
 *   shrink:   loses no more than maxShrink of the IPv4 or IPv6 space or the host patterns.
 */

export type Gate = 'version' | 'validate' | 'shrink' | 'query';

export class Refusal extends Error {
  constructor(
    readonly gate: Gate,
    readonly error: M365Error,
    readonly coverage: Coverage | null = null,
  ) {
    super(error.message);
  }
}

/** Any failure as a coded error: an M365Error as it is, anything else as UPDATE_UNEXPECTED. */
export function toCodedError(err: unknown): M365Error {
  if (isM365Error(err)) return err;
  const e = err as Error | undefined;
  return new M365Error('M365FC_ERR_UPDATE_UNEXPECTED', e?.message ?? String(err), { cause: e?.name ?? typeof err });
}

export function instanceGate(offered: Snapshot, instance: Instance): void {
  if (offered.instance.toLowerCase() === instance.toLowerCase()) return;
  throw new Refusal(
    'query',
    new M365Error('M365FC_ERR_UPDATE_WRONG_INSTANCE', `The offered data (version ${offered.version}) is for instance ${offered.instance}, not ${instance}`, {
      offered: offered.instance,
      expected: instance,
      version: offered.version,
    }),
  );
}

export function queryGate(offered: Snapshot, query: UpstreamQuery): void {
  if (fetchedWith(offered, query)) return;
  const q = queryOfOrigin(offered.origin);
  throw new Refusal(
    'query',
    new M365Error(
      'M365FC_ERR_UPDATE_WRONG_QUERY',
      `The offered data (version ${offered.version}) was fetched with ${q ? describeQuery(q) : `"${offered.origin}"`}, not ${describeQuery(query)}`,
      { offered: q ? describeQuery(q) : offered.origin, expected: describeQuery(query), version: offered.version },
    ),
  );
}

/** 'same' when there is nothing to do; throws when the offered version is older. */
export function versionGate(offered: string, inUse: string): 'newer' | 'same' {
  // Without a version on both sides (hand-made files) there is no order to keep.
  if (offered === UNKNOWN_VERSION || inUse === UNKNOWN_VERSION) return 'newer';
  if (offered === inUse) return 'same';
  if (offered > inUse) return 'newer';
  throw new Refusal(
    'version',
    new M365Error('M365FC_ERR_UPDATE_VERSION_BACKWARDS', `The offered version ${offered} is older than ${inUse} in use`, { latest: offered, inUse }),
  );
}

export function validateGate<T>(snapshot: Snapshot, build: (s: Snapshot) => T): T {
  try {
    return build(snapshot);
  } catch (err) {
    throw new Refusal('validate', toCodedError(err));
  }
}

export function shrinkGate(c: Coverage, maxShrink: number): void {
  const losses: Array<[string, number]> = [
    ['ipv4', c.ipv4.lostShare],
    ['ipv6', c.ipv6.lostShare],
    ['hosts', c.hosts.lostShare],
  ];
  const over = losses.filter(([, share]) => share > maxShrink);
  if (over.length === 0) return;
  const what = over.map(([k, share]) => `${k} ${(share * 100).toFixed(1)}%`).join(', ');
  throw new Refusal(
    'shrink',
    new M365Error('M365FC_ERR_UPDATE_SHRINK', `The new version loses ${what} of what the version in use covers (limit ${(maxShrink * 100).toFixed(0)}%)`, {
      over: Object.fromEntries(over),
      maxShrink,
    }),
    c,
  );
}

export interface AdmitOptions<T> {
  readonly instance: Instance;
  /** The query this process follows; null when it follows none (a --data file alone). */
  readonly query: UpstreamQuery | null;
  readonly maxShrink: number;
  readonly build: (s: Snapshot) => T;
}

export type Admitted<T> = { readonly kind: 'same' } | { readonly kind: 'admitted'; readonly index: T; readonly coverage: Coverage };

/** Every gate, in order, for a snapshot read from disk; throws a Refusal. */
export function admit<T>(offered: Snapshot, inUse: Snapshot, o: AdmitOptions<T>): Admitted<T> {
  instanceGate(offered, o.instance);
  if (o.query !== null) queryGate(offered, o.query);
  if (versionGate(offered.version, inUse.version) === 'same') return { kind: 'same' };
  const index = validateGate(offered, o.build);
  const scope: CoverageScope = { noIPv6: o.query?.noIPv6, serviceAreas: o.query?.serviceAreas };
  const coverage = measureCoverage(inUse, offered, scope);
  shrinkGate(coverage, o.maxShrink);
  return { kind: 'admitted', index, coverage };
}
