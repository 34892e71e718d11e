/** The one way to build a Classifier: ingest (when given a response), compile, wrap for lookup. */
import { compileIndex } from '../compile/compile-index.js';
import { checkTenantName } from '../compile/tenant.js';
import { M365Error } from '../core/errors.js';
import { snapshotFromSets } from '../ingest/parse-endpoints.js';
import { Classifier } from './classifier.js';
import type { Instance, Precedence, Snapshot } from '../core/types.js';

export interface ClassifierOptions {
  /** Default 'specific-first'. */
  precedence?: Precedence | undefined;
  /** Fills the tenant positions of SharePoint and autodiscover patterns, as the web service's TenantName does. */
  tenantName?: string | undefined;
  /** Data version for a raw response array (a Snapshot carries its own). */
  version?: string | undefined;
  instance?: Instance | undefined;
}

function isSnapshot(input: unknown): input is Snapshot {
  return typeof input === 'object' && input !== null && !Array.isArray(input) && Array.isArray((input as Snapshot).sets);
}

/**
 * Compiles Microsoft's /endpoints response (the parsed JSON array) or a Snapshot into a Classifier.
 * Throws an M365Error naming the set id and field when the data is invalid.
 */
export function createClassifier(input: unknown, options: ClassifierOptions = {}): Classifier {
  const precedence = options.precedence ?? 'specific-first';
  if (precedence !== 'specific-first' && precedence !== 'category-first') {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `precedence must be specific-first or category-first, not "${String(precedence)}"`, {
      field: 'precedence',
      value: precedence,
    });
  }
  const tenantName = options.tenantName === undefined ? undefined : checkTenantName(options.tenantName);
  const snapshot = isSnapshot(input)
    ? options.version === undefined
      ? input
      : { ...input, version: options.version }
    : snapshotFromSets(input, { version: options.version, instance: options.instance });
  return new Classifier(snapshot, compileIndex(snapshot, { precedence, tenantName }));
}
