/**
 * The one registry of error codes (every `M365FC_ERR_*` in src/, plugin-api/ and docs/ is one of
 * them: test/contract/error-registry.test.ts). Clients match on `code`, never on messages.
 * ERRORS: the codes that can reach an HTTP client, each with its HTTP status; openapi.yaml's
 * ErrorCode enum lists exactly these keys (test/contract/error-codes.test.ts).
 * LOCAL_ERRORS, at the end: the codes that never reach an HTTP client.
 */
export const ERRORS = {
  // ingest: Microsoft's data or our snapshot format
  M365FC_ERR_INGEST_BAD_ENCODING: { status: 422, message: 'The data is not UTF-8 or UTF-16 text' },
  M365FC_ERR_INGEST_BAD_JSON: { status: 422, message: 'The data is not valid JSON' },
  M365FC_ERR_INGEST_NOT_ARRAY: { status: 422, message: 'The endpoints response is not a complete JSON array' },
  M365FC_ERR_INGEST_BAD_SET: { status: 422, message: 'An endpoint set is not an object or lacks a required field' },
  M365FC_ERR_INGEST_BAD_ID: { status: 422, message: 'An endpoint set id is not a positive integer' },
  M365FC_ERR_INGEST_DUPLICATE_ID: { status: 422, message: 'Two endpoint sets have the same id' },
  M365FC_ERR_INGEST_BAD_FIELD: { status: 422, message: 'An endpoint set field has the wrong type' },
  M365FC_ERR_INGEST_BAD_PREFIX: { status: 422, message: 'An IP prefix is malformed' },
  M365FC_ERR_INGEST_BAD_PREFIX_LENGTH: { status: 422, message: 'An IP prefix length is out of range for its family' },
  M365FC_ERR_INGEST_HOST_BITS: { status: 422, message: 'An IP prefix has host bits set' },
  M365FC_ERR_INGEST_BAD_PORT: { status: 422, message: 'A port list holds a port outside 1-65535 or a malformed entry' },
  M365FC_ERR_INGEST_BAD_CATEGORY: { status: 422, message: 'A category is not Optimize, Allow or Default' },
  M365FC_ERR_INGEST_BAD_URL: { status: 422, message: 'A url pattern is not a host name or glob' },
  M365FC_ERR_INGEST_BAD_SNAPSHOT: { status: 422, message: 'The file is not a valid m365fc snapshot' },
  M365FC_ERR_INGEST_BAD_VERSION: { status: 422, message: 'A version is not of the form YYYYMMDDNN' },
  M365FC_ERR_INGEST_NO_SETS: { status: 422, message: 'The data holds no endpoint sets' },
  M365FC_ERR_INGEST_CATCH_ALL: { status: 422, message: 'An endpoint set matches every address or every host (a /0 prefix or a url of only *)' },
  M365FC_ERR_INGEST_UNREADABLE: { status: 422, message: 'The data file could not be read (missing, a directory, or not permitted)' },

  // configuration
  M365FC_ERR_CONFIG_BAD_OPTION: { status: 400, message: 'An option has an invalid value' },

  // a flow given to the lookup path
  M365FC_ERR_FLOW_NOT_OBJECT: { status: 400, message: 'A flow must be a JSON object', number: 1 },
  M365FC_ERR_FLOW_NO_TARGET: { status: 400, message: 'A flow needs an ip or a host', number: 2 },
  M365FC_ERR_FLOW_BAD_IP: { status: 400, message: 'The ip is not an IPv4 or IPv6 address', number: 3 },
  M365FC_ERR_FLOW_BAD_HOST: { status: 400, message: 'The host is not a valid DNS name', number: 4 },
  M365FC_ERR_FLOW_HOST_HAS_PORT: { status: 400, message: 'The host carries a :port suffix; send the port in port', number: 5 },
  M365FC_ERR_FLOW_HOST_IS_IP: { status: 400, message: 'The host is an IP literal; send it in ip', number: 6 },
  M365FC_ERR_FLOW_HOST_TOO_LONG: { status: 400, message: 'The host is longer than 253 characters', number: 7 },
  M365FC_ERR_FLOW_BAD_PORT: { status: 400, message: 'The port is not an integer in 1-65535', number: 8 },
  M365FC_ERR_FLOW_BAD_PROTOCOL: { status: 400, message: 'The protocol is not tcp or udp', number: 9 },

  // serve: the HTTP and WebSocket service (src/serve)
  M365FC_ERR_SERVE_BAD_JSON: { status: 400, message: 'The request body is not valid JSON' },
  M365FC_ERR_SERVE_BAD_REQUEST: { status: 400, message: 'The request does not have the documented shape' },
  M365FC_ERR_SERVE_BAD_QUERY: { status: 400, message: 'A query parameter is unknown, repeated or malformed' },
  M365FC_ERR_SERVE_BAD_MESSAGE: { status: 400, message: 'The WebSocket message is not a valid JSON text message' },
  M365FC_ERR_SERVE_UNAUTHORIZED: { status: 401, message: 'A valid bearer token is required', number: 108 },
  M365FC_ERR_SERVE_FORBIDDEN: { status: 403, message: 'The token does not grant this operation' },
  M365FC_ERR_SERVE_NOT_FOUND: { status: 404, message: 'No such route' },
  M365FC_ERR_SERVE_REQUEST_TIMEOUT: { status: 408, message: 'The request was not received in time' },
  M365FC_ERR_SERVE_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than the body limit' },
  M365FC_ERR_SERVE_TOO_MANY_FLOWS: { status: 413, message: 'A batch holds more than 10000 flows' },
  M365FC_ERR_SERVE_MESSAGE_TOO_LARGE: { status: 413, message: 'The WebSocket message is larger than the message limit' },
  M365FC_ERR_SERVE_QUERY_TOO_LONG: { status: 414, message: 'The request URL is longer than the query limit' },
  M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body must be application/json' },
  M365FC_ERR_SERVE_SLOW_CONSUMER: { status: 429, message: 'The client does not read its answers' },
  M365FC_ERR_SERVE_HEADERS_TOO_LARGE: { status: 431, message: 'The request line or headers are too large' },
  M365FC_ERR_SERVE_INTERNAL: { status: 500, message: 'Internal server error' },
  M365FC_ERR_SERVE_NO_UPDATER: { status: 501, message: 'No updater runs in this server' },
  M365FC_ERR_SERVE_OVERLOADED: { status: 503, message: 'The server is overloaded; retry after Retry-After seconds' },
  M365FC_ERR_SERVE_NOT_READY: { status: 503, message: 'No index is loaded yet', number: 109 },
  M365FC_ERR_SERVE_SHUTTING_DOWN: { status: 503, message: 'The server is shutting down' },
  M365FC_ERR_SERVE_JSON_TOO_DEEP: { status: 400, message: 'The JSON nests deeper than the contract allows' },
  M365FC_ERR_SERVE_EXPECTATION_FAILED: { status: 417, message: 'The Expect header asks for something other than 100-continue' },
  M365FC_ERR_SERVE_UPGRADE_REQUIRED: { status: 426, message: 'This route is a WebSocket: send a GET with Upgrade: websocket' },
  M365FC_ERR_SERVE_TOO_MANY_STREAMS: { status: 503, message: 'The server holds its maximum number of WebSocket connections; retry after Retry-After seconds' },
  M365FC_ERR_SERVE_STREAM_IDLE: { status: 408, message: 'The WebSocket showed no sign of life within the idle timeout' },
  M365FC_ERR_SERVE_DATA_TOO_OLD: { status: 503, message: 'The data is older than --max-data-age' },

  // upstream: Microsoft's endpoint web service (src/follow/web-service-client.ts)
  M365FC_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream web service did not answer in time' },
  M365FC_ERR_UPSTREAM_UNREACHABLE: { status: 502, message: 'The upstream web service could not be reached' },
  M365FC_ERR_UPSTREAM_RESET: { status: 502, message: 'The connection to the upstream web service was reset or closed' },
  M365FC_ERR_UPSTREAM_SERVER_ERROR: { status: 502, message: 'The upstream web service answered with a 5xx status' },
  M365FC_ERR_UPSTREAM_HTTP_STATUS: { status: 502, message: 'The upstream web service answered with an unexpected status' },
  M365FC_ERR_UPSTREAM_RATE_LIMITED: { status: 503, message: 'The upstream web service answered 429; checks back off an hour or as Retry-After says' },
  M365FC_ERR_UPSTREAM_CONTENT_TYPE: { status: 502, message: 'The upstream response is not JSON by its content type' },
  M365FC_ERR_UPSTREAM_TRUNCATED: { status: 502, message: 'The upstream response ended early' },
  M365FC_ERR_UPSTREAM_BAD_JSON: { status: 502, message: 'The upstream response is not valid JSON' },
  M365FC_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, message: 'The upstream response does not have the expected shape' },
  M365FC_ERR_UPSTREAM_TOO_LARGE: { status: 502, message: 'The upstream response exceeds the size limit' },

  // store: the state directory (src/follow/state-store.ts)
  M365FC_ERR_STORE_CORRUPT: { status: 500, message: 'A state file is corrupt; it was set aside and skipped' },
  M365FC_ERR_STORE_IO: { status: 500, message: 'The state directory could not be read or written' },
  M365FC_ERR_STORE_QUERY_MISMATCH: { status: 409, message: 'The state directory was filled with another query; start a new one with --reset-state-dir' },

  // update: the gates before a new version is used (src/follow/gates.ts, updater.ts)
  M365FC_ERR_UPDATE_VERSION_BACKWARDS: { status: 409, message: 'The upstream version is older than the one in use' },
  M365FC_ERR_UPDATE_SHRINK: { status: 409, message: 'The new version loses more than the allowed share of covered addresses or host patterns' },
  M365FC_ERR_UPDATE_BACKING_OFF: { status: 503, message: 'Checks are backing off after a 429 from upstream' },
  M365FC_ERR_UPDATE_STOPPED: { status: 503, message: 'The updater was stopped during a check' },
  M365FC_ERR_UPDATE_WRONG_INSTANCE: { status: 409, message: 'The offered data is for another Microsoft 365 instance' },
  M365FC_ERR_UPDATE_WRONG_QUERY: { status: 409, message: 'The offered data was fetched with another query (service areas, NoIPv6, tenant)' },
  M365FC_ERR_UPDATE_UNEXPECTED: { status: 500, message: 'A check or reload failed unexpectedly; the data in use is kept' },

  // plugin / export: exporter plugins (plugin-api/plugin.ts throws these codes) and /v1/export
  M365FC_ERR_PLUGIN_INVALID: { status: 500, message: 'A plugin does not have the shape of an exporter plugin' },
  M365FC_ERR_PLUGIN_API_VERSION: { status: 500, message: "A plugin's apiVersion range does not include this host's plugin API version" },
  M365FC_ERR_PLUGIN_DUPLICATE: { status: 500, message: 'A plugin of that name is already registered' },
  M365FC_ERR_PLUGIN_LOAD: { status: 500, message: 'A plugin module could not be loaded or exports no plugin' },
  M365FC_ERR_EXPORT_UNKNOWN: { status: 404, message: 'No exporter of that name' },
  M365FC_ERR_EXPORT_BAD_OPTION: { status: 400, message: 'An exporter option is unknown, missing or invalid' },
  M365FC_ERR_EXPORT_RENDER: { status: 500, message: 'The exporter failed to render the file' },

  // binary: frames of the binary wire protocol (src/serve/binary, docs/binary-protocol.md)
  M365FC_ERR_BINARY_BAD_MAGIC: { status: 400, message: 'The binary frame does not start with the magic bytes "MF"', number: 101 },
  M365FC_ERR_BINARY_BAD_VERSION: { status: 400, message: 'The binary frame has an unknown protocol version', number: 102 },
  M365FC_ERR_BINARY_BAD_KIND: { status: 400, message: 'The binary frame has a kind a client may not send', number: 103 },
  M365FC_ERR_BINARY_TRUNCATED: { status: 400, message: 'The binary frame ends inside its header or a record, or has bytes after its last record', number: 104 },
  M365FC_ERR_BINARY_TOO_MANY_RECORDS: { status: 413, message: 'The binary frame holds more than 10000 records', number: 105 },
  M365FC_ERR_BINARY_HOST_TOO_LONG: { status: 400, message: 'A record of the binary frame has a host length over 253', number: 106 },
  M365FC_ERR_BINARY_FRAME_TOO_LARGE: { status: 413, message: 'The binary frame is larger than the message limit', number: 107 },
} as const satisfies Record<string, { status: number; message: string; number?: number }>;

export type ErrorCode = keyof typeof ERRORS;

export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];

/**
 * The stable numbers of the codes the binary wire protocol carries (flow errors in answer
 * records, frame-level errors in error frames), by code; asyncapi.yaml lists the same pairs.
 */
export const ERROR_NUMBERS: ReadonlyMap<ErrorCode, number> = new Map(
  ERROR_CODES.flatMap((code) => {
    const n = (ERRORS[code] as { number?: number }).number;
    return n === undefined ? [] : [[code, n] as const];
  }),
);

/** An error with a stable code. `details` says where (set id, field, value). */
export class M365Error extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message?: string, details: Record<string, unknown> = {}) {
    super(message ?? ERRORS[code].message);
    this.name = 'M365Error';
    this.code = code;
    this.statusCode = ERRORS[code].status;
    this.details = details;
  }
}

export function isM365Error(err: unknown): err is M365Error {
  return err instanceof M365Error;
}

/**
 * Codes that never reach an HTTP client, so they are not in openapi.yaml: `where` names who
 * raises them. plugin-api/ cannot import src/, so the client keeps its own list
 * (CLIENT_ONLY_ERROR_CODES in plugin-api/client-errors.ts), checked equal to these by a test.
 */
export const LOCAL_ERRORS = {
  // analyze: why a flow-log line was not counted (src/analyze/bad-line.ts), shown in the report
  M365FC_ERR_ANALYZE_BAD_CSV: { where: 'analyze', message: 'CSV quoting is broken (unterminated quote or text after a closing quote)' },
  M365FC_ERR_ANALYZE_BAD_JSON: { where: 'analyze', message: 'The line is not a JSON object' },
  M365FC_ERR_ANALYZE_SHORT_LINE: { where: 'analyze', message: 'The line has fewer fields than the header names' },
  M365FC_ERR_ANALYZE_BAD_BYTES: { where: 'analyze', message: 'The bytes field is not a non-negative number' },
  M365FC_ERR_ANALYZE_BAD_TUPLE: { where: 'analyze', message: 'An Azure flow tuple does not have the documented fields' },
  // analyze: the CLI's exit message when no record could be read (exit status 2)
  M365FC_ERR_ANALYZE_NO_RECORDS: { where: 'analyze', message: 'No record could be read from the logs' },

  // client: failures of the typed client (plugin-api) that carry no server answer
  M365FC_ERR_CLIENT_NETWORK: { where: 'client', message: 'The server could not be reached, or the connection broke' },
  M365FC_ERR_CLIENT_TIMEOUT: { where: 'client', message: 'No answer within the timeout' },
  M365FC_ERR_CLIENT_BAD_RESPONSE: { where: 'client', message: 'The answer is not what openapi.yaml documents' },
  M365FC_ERR_CLIENT_CLOSED: { where: 'client', message: 'The client or stream was closed before an answer came' },
} as const satisfies Record<string, { where: string; message: string }>;

export type LocalErrorCode = keyof typeof LOCAL_ERRORS;

/** Every registered code, the HTTP ones first. */
export type AnyErrorCode = ErrorCode | LocalErrorCode;
export const ALL_ERROR_CODES: readonly AnyErrorCode[] = [...ERROR_CODES, ...(Object.keys(LOCAL_ERRORS) as LocalErrorCode[])];

/** True when the code can reach an HTTP client (and so is in openapi.yaml's ErrorCode enum). */
export function reachesHttp(code: AnyErrorCode): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}
