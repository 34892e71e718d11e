import type { Classifier } from '../match/classifier.js';
import { diffSnapshots } from '../ingest/diff.js';
import type { Snapshot } from '../core/types.js';
import type { ChangeRecord } from './live-index.js';
import type { AppliedUpdate } from './check-result.js';

/** The published changes kept for GET /v1/changes (in memory: a restart empties it), oldest first. */
export class ChangeHistory {
  private readonly records: ChangeRecord[] = [];

  constructor(private readonly limit = 100) {}

  get list(): readonly ChangeRecord[] {
    return this.records;
  }

  add(record: ChangeRecord): ChangeRecord {
    this.records.push(record);
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
    return record;
  }
}

/** The record of a version this process's updater accepted. */
export function updateRecord(u: AppliedUpdate<Classifier>, publishedAt: string): ChangeRecord {
  const { from: _from, to: _to, ...diff } = u.diff;
  return { version: u.snapshot.version, previousVersion: u.previous.version, publishedAt, instance: u.snapshot.instance, forced: u.forced, ...diff };
}

/** The record of a version re-read from the state dir or the data file. */
export function reloadRecord(previous: Snapshot, snapshot: Snapshot, publishedAt: string): ChangeRecord {
  const { from: _from, to: _to, ...diff } = diffSnapshots(previous, snapshot);
  return { version: snapshot.version, previousVersion: previous.version, publishedAt, instance: snapshot.instance, forced: false, ...diff };
}
