import { M365Error } from '../core/errors.js';
import type { Classifier } from '../match/classifier.js';
import { loadBootstrapSnapshot } from '../ingest/bootstrap.js';
import { readDataFile } from '../ingest/snapshot-file.js';
import type { Instance, Snapshot } from '../core/types.js';
import type { DataInUse } from './check-result.js';
import { instanceGate, queryGate, Refusal, validateGate } from './gates.js';
import type { UpstreamQuery } from './query.js';
import type { StateStore } from './state-store.js';

/**
 * The data a process starts on, the same for `serve` and `update`: the last-known-good in the
 * state dir (when it is of this instance and query and compiles), else the --data file, else the
 * embedded bootstrap. The live service comes between the first and the rest: `serve` checks it
 * at once when the start is not the last-known-good (follower.ts), `update` is that check.
 * A --data file thus stands in for the bootstrap while a state dir is followed: an operator's
 * seed for an offline start, never a way to roll a state dir back (that takes --reset-state-dir).
 */
export async function startingData(o: {
  readonly store: StateStore | null;
  readonly dataFile: string | null;
  readonly instance: Instance;
  readonly query: UpstreamQuery | null;
  readonly build: (s: Snapshot) => Classifier;
  readonly report: (e: M365Error) => void;
}): Promise<DataInUse<Classifier>> {
  const lkg = o.store ? await o.store.readLastKnownGood() : null;
  if (o.store && lkg?.ok) {
    try {
      instanceGate(lkg.value, o.instance);
      if (o.query) queryGate(lkg.value, o.query);
      return { snapshot: lkg.value, index: validateGate(lkg.value, o.build), source: 'state' };
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      o.report(
        err.gate === 'validate'
          ? new M365Error('M365FC_ERR_STORE_CORRUPT', `Last-known-good in ${o.store.dir} does not compile: ${err.error.message}`, { cause: err.error.code })
          : err.error,
      );
    }
  }
  if (o.dataFile !== null) {
    const snapshot = readDataFile(o.dataFile);
    return { snapshot, index: o.build(snapshot), source: 'file' };
  }
  const snapshot = loadBootstrapSnapshot();
  return { snapshot, index: o.build(snapshot), source: 'bootstrap' };
}
