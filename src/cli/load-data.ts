import { loadBootstrapSnapshot } from '../ingest/bootstrap.js';
import { readDataFile } from '../ingest/snapshot-file.js';
import type { Snapshot } from '../core/types.js';

/** `--data FILE` (a web service response or a snapshot), else the embedded bootstrap. */
export function loadDataOption(file: string | undefined): Snapshot {
  return file === undefined ? loadBootstrapSnapshot() : readDataFile(file);
}
