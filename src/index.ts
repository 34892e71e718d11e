/** m365-flow-classifier: the package's main export. Wires the stages; holds no logic of its own. */
import { compileIndex } from './compile/compile-index.js';
import { checkTenantName } from './compile/tenant.js';
import { M365Error } from './errors.js';
import { snapshotFromSets } from './ingest/parse-endpoints.js';
import { Classifier } from './match/classifier.js';
import type { Instance, Precedence, Snapshot } from './types.js';

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

export { Classifier } from './match/classifier.js';
export { parsePortField, parseProtocolField } from './match/flow-fields.js';
export { explainFlow, type Explanation, type Candidate } from './match/explain.js';
export { PROTO_NONE, PROTO_TCP, PROTO_UDP } from './match/lookup.js';
export { parseIPv4, parseIPv6, isIPv4Mapped, formatIPv4, formatIPv6 } from './match/parse-address.js';
export { normalizeHost } from './match/normalize-host.js';
export { compileIndex, type CompiledIndex, type CompileOptions } from './compile/compile-index.js';
export { parseEndpointSets, parseEndpointsResponse, snapshotFromSets, UNKNOWN_VERSION, type SnapshotMeta } from './ingest/parse-endpoints.js';
export { parsePorts, formatPorts } from './ingest/parse-ports.js';
export { parsePrefix } from './ingest/parse-prefix.js';
export { decodeText, parseJsonText } from './ingest/decode-text.js';
export { readDataFile, parseDataDocument, serializeSnapshot, setsToWire, SNAPSHOT_FORMAT } from './ingest/snapshot-file.js';
export { loadBootstrapSnapshot, bootstrapPath } from './ingest/bootstrap.js';
export { ERRORS, ERROR_CODES, M365Error, isM365Error, type ErrorCode } from './errors.js';
export * from './types.js';
