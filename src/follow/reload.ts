import type { Clock } from '../core/clock.js';
import type { Classifier } from '../match/classifier.js';
import type { Instance, Snapshot } from '../core/types.js';
import type { ReloadReport } from './check-result.js';
import { admit, Refusal, toCodedError } from './gates.js';
import type { UpstreamQuery } from './query.js';

/**
 * A re-read of the state dir's last-known-good (another process wrote it, or SIGHUP) or of the
 * --data file (SIGHUP), through the same gates as an update (gates.ts `admit`). Nothing here
 * publishes: the Follower swaps the index in when the report says 'reloaded'.
 */

export interface ReloadGates {
  readonly instance: Instance;
  /** The query followed; null with a --data file alone (then only the instance is checked). */
  readonly query: UpstreamQuery | null;
  readonly maxShrink: number;
  readonly build: (s: Snapshot) => Classifier;
  readonly clock: Clock;
}

export interface Reloaded {
  readonly report: ReloadReport;
  /** The snapshot and its index when the gates let it through. */
  readonly admitted: { readonly snapshot: Snapshot; readonly index: Classifier } | null;
}

/**
 * `read` gives the offered snapshot, null when there is none, or throws a coded error (a file
 * that does not parse); `inUse` is what the service answers from now.
 */
export async function reloadThroughGates(
  read: () => Promise<Snapshot | null>,
  inUse: Snapshot,
  from: 'state' | 'file',
  trigger: ReloadReport['trigger'],
  g: ReloadGates,
): Promise<Reloaded> {
  const base = { at: new Date(g.clock.now()).toISOString(), from, trigger, versionInUse: inUse.version };
  let offered: Snapshot | null;
  try {
    offered = await read();
  } catch (err) {
    const e = toCodedError(err);
    return { report: { ...base, outcome: 'refused', version: null, gate: 'validate', errorCode: e.code, message: e.message }, admitted: null };
  }
  if (offered === null) return { report: { ...base, outcome: 'unchanged', version: null, gate: null, errorCode: null, message: null }, admitted: null };
  try {
    const a = admit(offered, inUse, { instance: g.instance, query: g.query, maxShrink: g.maxShrink, build: g.build });
    if (a.kind === 'same') return { report: { ...base, outcome: 'unchanged', version: offered.version, gate: null, errorCode: null, message: null }, admitted: null };
    return {
      report: { ...base, outcome: 'reloaded', version: offered.version, gate: null, errorCode: null, message: null },
      admitted: { snapshot: offered, index: a.index },
    };
  } catch (err) {
    const refusal = err instanceof Refusal ? err : null;
    const e = refusal?.error ?? toCodedError(err);
    const outcome = refusal ? 'refused' : 'failed';
    return { report: { ...base, outcome, version: offered.version, gate: refusal?.gate ?? null, errorCode: e.code, message: e.message }, admitted: null };
  }
}
