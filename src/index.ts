/** m365-flow-classifier: the package's main export. Wires the stages; holds no logic of its own. */
export { createClassifier, type ClassifierOptions } from './match/create-classifier.js';
export { Classifier } from './match/classifier.js';
export { parsePortField, parseProtocolField } from './match/flow-fields.js';
export { explainFlow, type Explanation, type Candidate } from './match/explain.js';
export { PROTO_NONE, PROTO_TCP, PROTO_UDP } from './match/lookup.js';
export { parseIPv4, parseIPv6, isIPv4Mapped, formatIPv4, formatIPv6 } from './core/addresses.js';
export { normalizeHost } from './match/normalize-host.js';
export { compileIndex, type CompiledIndex, type CompileOptions } from './compile/compile-index.js';
export { parseEndpointSets, parseEndpointsResponse, snapshotFromSets, UNKNOWN_VERSION, type SnapshotMeta } from './ingest/parse-endpoints.js';
export { parsePorts, formatPorts } from './core/ports.js';
export { parsePrefix } from './ingest/parse-prefix.js';
export { decodeText, parseJsonText } from './ingest/decode-text.js';
export { readDataFile, parseDataDocument, serializeSnapshot, setsToWire, SNAPSHOT_FORMAT } from './ingest/snapshot-file.js';
export { loadBootstrapSnapshot, bootstrapPath } from './ingest/bootstrap.js';
export { ERRORS, ERROR_CODES, M365Error, isM365Error, type ErrorCode } from './core/errors.js';
export * from './core/types.js';
