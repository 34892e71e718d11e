// Generated from openapi.yaml by scripts/gen-plugin-types.mjs: do not edit.
// Regenerate with `npm run gen:plugin-types`; test/unit/plugin-api/plugin-types.test.ts fails when this file is stale.
// OpenAPI document version 1.0.0.

/** Every code the service can answer with. Stable; clients match on it. */
export type ErrorCode =
  | "M365FC_ERR_INGEST_BAD_ENCODING"
  | "M365FC_ERR_INGEST_BAD_JSON"
  | "M365FC_ERR_INGEST_NOT_ARRAY"
  | "M365FC_ERR_INGEST_BAD_SET"
  | "M365FC_ERR_INGEST_BAD_ID"
  | "M365FC_ERR_INGEST_DUPLICATE_ID"
  | "M365FC_ERR_INGEST_BAD_FIELD"
  | "M365FC_ERR_INGEST_BAD_PREFIX"
  | "M365FC_ERR_INGEST_BAD_PREFIX_LENGTH"
  | "M365FC_ERR_INGEST_HOST_BITS"
  | "M365FC_ERR_INGEST_BAD_PORT"
  | "M365FC_ERR_INGEST_BAD_CATEGORY"
  | "M365FC_ERR_INGEST_BAD_URL"
  | "M365FC_ERR_INGEST_BAD_SNAPSHOT"
  | "M365FC_ERR_INGEST_BAD_VERSION"
  | "M365FC_ERR_INGEST_NO_SETS"
  | "M365FC_ERR_INGEST_CATCH_ALL"
  | "M365FC_ERR_INGEST_UNREADABLE"
  | "M365FC_ERR_CONFIG_BAD_OPTION"
  | "M365FC_ERR_FLOW_NOT_OBJECT"
  | "M365FC_ERR_FLOW_NO_TARGET"
  | "M365FC_ERR_FLOW_BAD_IP"
  | "M365FC_ERR_FLOW_BAD_HOST"
  | "M365FC_ERR_FLOW_HOST_HAS_PORT"
  | "M365FC_ERR_FLOW_HOST_IS_IP"
  | "M365FC_ERR_FLOW_HOST_TOO_LONG"
  | "M365FC_ERR_FLOW_BAD_PORT"
  | "M365FC_ERR_FLOW_BAD_PROTOCOL"
  | "M365FC_ERR_SERVE_BAD_JSON"
  | "M365FC_ERR_SERVE_BAD_REQUEST"
  | "M365FC_ERR_SERVE_BAD_QUERY"
  | "M365FC_ERR_SERVE_BAD_MESSAGE"
  | "M365FC_ERR_SERVE_UNAUTHORIZED"
  | "M365FC_ERR_SERVE_FORBIDDEN"
  | "M365FC_ERR_SERVE_NOT_FOUND"
  | "M365FC_ERR_SERVE_REQUEST_TIMEOUT"
  | "M365FC_ERR_SERVE_BODY_TOO_LARGE"
  | "M365FC_ERR_SERVE_TOO_MANY_FLOWS"
  | "M365FC_ERR_SERVE_MESSAGE_TOO_LARGE"
  | "M365FC_ERR_SERVE_QUERY_TOO_LONG"
  | "M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE"
  | "M365FC_ERR_SERVE_SLOW_CONSUMER"
  | "M365FC_ERR_SERVE_HEADERS_TOO_LARGE"
  | "M365FC_ERR_SERVE_INTERNAL"
  | "M365FC_ERR_SERVE_NO_UPDATER"
  | "M365FC_ERR_SERVE_OVERLOADED"
  | "M365FC_ERR_SERVE_NOT_READY"
  | "M365FC_ERR_SERVE_SHUTTING_DOWN"
  | "M365FC_ERR_SERVE_JSON_TOO_DEEP"
  | "M365FC_ERR_SERVE_EXPECTATION_FAILED"
  | "M365FC_ERR_SERVE_UPGRADE_REQUIRED"
  | "M365FC_ERR_SERVE_TOO_MANY_STREAMS"
  | "M365FC_ERR_SERVE_STREAM_IDLE"
  | "M365FC_ERR_SERVE_DATA_TOO_OLD"
  | "M365FC_ERR_UPSTREAM_TIMEOUT"
  | "M365FC_ERR_UPSTREAM_UNREACHABLE"
  | "M365FC_ERR_UPSTREAM_RESET"
  | "M365FC_ERR_UPSTREAM_SERVER_ERROR"
  | "M365FC_ERR_UPSTREAM_HTTP_STATUS"
  | "M365FC_ERR_UPSTREAM_RATE_LIMITED"
  | "M365FC_ERR_UPSTREAM_CONTENT_TYPE"
  | "M365FC_ERR_UPSTREAM_TRUNCATED"
  | "M365FC_ERR_UPSTREAM_BAD_JSON"
  | "M365FC_ERR_UPSTREAM_BAD_RESPONSE"
  | "M365FC_ERR_UPSTREAM_TOO_LARGE"
  | "M365FC_ERR_STORE_CORRUPT"
  | "M365FC_ERR_STORE_IO"
  | "M365FC_ERR_STORE_QUERY_MISMATCH"
  | "M365FC_ERR_UPDATE_VERSION_BACKWARDS"
  | "M365FC_ERR_UPDATE_SHRINK"
  | "M365FC_ERR_UPDATE_BACKING_OFF"
  | "M365FC_ERR_UPDATE_STOPPED"
  | "M365FC_ERR_UPDATE_WRONG_INSTANCE"
  | "M365FC_ERR_UPDATE_WRONG_QUERY"
  | "M365FC_ERR_UPDATE_UNEXPECTED"
  | "M365FC_ERR_PLUGIN_INVALID"
  | "M365FC_ERR_PLUGIN_API_VERSION"
  | "M365FC_ERR_PLUGIN_DUPLICATE"
  | "M365FC_ERR_PLUGIN_LOAD"
  | "M365FC_ERR_EXPORT_UNKNOWN"
  | "M365FC_ERR_EXPORT_BAD_OPTION"
  | "M365FC_ERR_EXPORT_RENDER"
  | "M365FC_ERR_BINARY_BAD_MAGIC"
  | "M365FC_ERR_BINARY_BAD_VERSION"
  | "M365FC_ERR_BINARY_BAD_KIND"
  | "M365FC_ERR_BINARY_TRUNCATED"
  | "M365FC_ERR_BINARY_TOO_MANY_RECORDS"
  | "M365FC_ERR_BINARY_HOST_TOO_LONG"
  | "M365FC_ERR_BINARY_FRAME_TOO_LARGE";

export interface Error {
  statusCode: number;
  code: ErrorCode;
  /** The HTTP reason phrase of `statusCode`. */
  error: string;
  message: string;
}

/** The answer in place of a flow that could not be classified. */
export interface FlowError {
  error: {
    code: ErrorCode;
    message: string;
  };
}

export type Category = "Optimize" | "Allow" | "Default";

/**
 * `bypass` (Optimize): leave locally, no proxy, no TLS inspection. `direct` (Allow):
 * leave locally. `default` (Default): the normal path. `none`: not Microsoft 365.
 */
export type Action = "bypass" | "direct" | "default" | "none";

/** Microsoft's data version, `YYYYMMDDNN`; `0000000000` when unknown. */
export type Version = string;

export type Instance = "Worldwide" | "USGovDoD" | "USGovGCCHigh" | "China";

/** At least one of `ip` and `host`. */
export interface Flow {
  ip?: string;
  host?: string;
  /** 1-65535; a decimal string is accepted too. */
  port?: number | string;
  /** `tcp` or `udp`, case-insensitive; `tcp` ports apply when absent. */
  protocol?: string;
}

/**
 * The engine's answer. When `m365` is false every field but `action` (`none`) and
 * `version` is null. Clients ignore fields they do not know.
 */
export interface Classification {
  m365: boolean;
  category: Category | null;
  serviceArea: string | null;
  endpointSetId: number | null;
  expressRoute: boolean | null;
  required: boolean | null;
  matchedBy: "host" | "ip" | "host+ip" | null;
  /** The pattern or prefix that decided. */
  matched: string | null;
  action: Action;
  version: Version;
}

export type ClassifyResult = FlowError | Classification;

/** The flow as the engine read it. */
export interface NormalizedFlow {
  ip?: string | null;
  host?: string | null;
  port?: number | null;
  protocol?: string | null;
}

/** An endpoint set whose pattern or prefix matched the flow. */
export interface Candidate {
  endpointSetId: number;
  category: Category;
  serviceArea: string;
  matchedBy: "host" | "ip";
  matched: string;
  /** The set lists the flow's port for its protocol. */
  eligible: boolean;
  won: boolean;
  reason: string;
}

export type ExplainedClassification = Classification & {
  flow: NormalizedFlow;
  candidates: Array<Candidate>;
};

export interface BatchRequest {
  /**
   * Each item should be a `Flow`. An item that is not (wrong types, bad address)
   * is answered in place with a `FlowError`; the batch itself is still answered.
   */
  flows: Array<Flow>;
}

export interface BatchResponse {
  version: Version;
  results: Array<ClassifyResult>;
}

/**
 * Where the data in use came from: `cache` (last-known-good on disk), `live` (the web
 * service), `bootstrap` (embedded in the package), `file` (`--data`).
 */
export type Source = "cache" | "live" | "bootstrap" | "file";

/** The background updater's state. Present only when an updater runs. */
export interface UpdaterStatus {
  lastAttempt?: string | null;
  lastSuccess?: string | null;
  lastErrorCode?: string | null;
  consecutiveFailures?: number | null;
  /** The data is older than the updater's staleness limit. */
  stale?: boolean | null;
  nextCheck?: string | null;
  /** What the last check did: updated, current, refused, failed or rate-limited. */
  lastOutcome?: string | null;
  lastErrorMessage?: string | null;
  /** The latest version upstream reported at the last check. */
  latestSeen?: string | null;
  /** The version a gate refused last; not downloaded again until a newer one or a forced check. */
  refusedVersion?: string | null;
  /** After a 429, no check before this time. */
  backoffUntil?: string | null;
  /** Seconds since the data in use was last confirmed current (or fetched); null when never. */
  dataAgeSeconds?: number | null;
  staleAfterSeconds?: number;
  pollIntervalSeconds?: number;
  upstream?: string;
  /** The state dir followed; null without one. */
  stateDir?: string | null;
  /** True for the one process that polls upstream for its state dir (it holds the lock). */
  polls?: boolean;
  /** Re-reads of the state dir or the data file (watcher, SIGHUP) that a gate refused. */
  reloadsRefused?: number;
  /** The last re-read that changed the data or was refused; null when none. */
  lastReload?: {
    at?: string;
    from?: "state" | "file" | "none";
    trigger?: "watch" | "signal";
    outcome?: "reloaded" | "unchanged" | "refused" | "failed";
    version?: string | null;
    versionInUse?: string;
    gate?: "version" | "validate" | "shrink" | "query" | null;
    errorCode?: string | null;
    message?: string | null;
  } | null;
}

export interface VersionInfo {
  version: Version;
  instance: Instance;
  source: Source;
  /** When the data was obtained from Microsoft; null when unknown. */
  fetchedAt: string | null;
  /** When this server built the index in use. */
  loadedAt: string;
  /** Seconds since `fetchedAt`; null when unknown. */
  ageSeconds: number | null;
  precedence: "specific-first" | "category-first";
  tenant: string | null;
  /** Number of endpoint sets in use. */
  sets: number;
  updater?: UpdaterStatus | null;
}

/** An inclusive port range `[lo, hi]`. */
export type PortRange = [number, number];

export interface EndpointSet {
  id: number;
  serviceArea: string;
  serviceAreaDisplayName: string;
  urls: Array<string>;
  /** Canonical CIDR prefixes, IPv4 and IPv6. */
  ips: Array<string>;
  tcpPorts: Array<PortRange>;
  udpPorts: Array<PortRange>;
  expressRoute: boolean;
  category: Category;
  required: boolean;
  notes?: string;
}

export interface EndpointsResponse {
  version: Version;
  instance: Instance;
  fetchedAt: string | null;
  sets: Array<EndpointSet>;
}

/** One published data change, as the updater records it; it may add fields. */
export interface ChangeRecord {
  version: Version;
  previousVersion?: Version | null;
  publishedAt?: string;
}

export interface ChangesResponse {
  version: Version;
  since: Version | null;
  changes: Array<ChangeRecord>;
}

export interface RefreshResult {
  status: "updated" | "unchanged" | "failed";
  /** The version in use after the refresh. */
  version: Version;
  errorCode?: string | null;
  message?: string;
}

export interface Health {
  status: "ok";
}

export interface Ready {
  status: "ready";
  version: Version;
  source: Source;
  updater?: UpdaterStatus | null;
}

/** Chosen by the client and echoed in the answer. */
export type MessageId = string | number;

export interface StreamClassifyMessage {
  id?: MessageId;
  /** As in `BatchRequest`; bad items get a `FlowError` in place. */
  flows: Array<Flow>;
}

export interface StreamSubscribeMessage {
  id?: MessageId;
  subscribe: Array<"version">;
}

export interface StreamUnsubscribeMessage {
  id?: MessageId;
  unsubscribe: Array<"version">;
}

export type StreamClientMessage = StreamClassifyMessage | StreamSubscribeMessage | StreamUnsubscribeMessage;

export interface StreamClassifyResult {
  id?: MessageId;
  version: Version;
  results: Array<ClassifyResult>;
}

/** Acknowledges a subscribe or unsubscribe; lists the events now subscribed. */
export interface StreamSubscribed {
  id?: MessageId;
  subscribed: Array<"version">;
}

/** Pushed to subscribers when the server starts answering from new data. */
export interface StreamVersionEvent {
  event: "version";
  version: Version;
  previousVersion: Version | null;
  instance: Instance;
  source: Source;
  fetchedAt: string | null;
  loadedAt: string;
  /**
   * What changed, when the server knows it (the record `GET /v1/changes` keeps: sets and
   * prefixes and hosts added and removed, coverage lost); null when the data was
   * replaced without a known predecessor.
   */
  change?: ChangeRecord | null;
}

export interface StreamError {
  id?: MessageId;
  error: {
    code: ErrorCode;
    message: string;
  };
}

export type StreamServerMessage = StreamClassifyResult | StreamSubscribed | StreamVersionEvent | StreamError;

/** Every code the service can answer with, in the registry's order. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "M365FC_ERR_INGEST_BAD_ENCODING",
  "M365FC_ERR_INGEST_BAD_JSON",
  "M365FC_ERR_INGEST_NOT_ARRAY",
  "M365FC_ERR_INGEST_BAD_SET",
  "M365FC_ERR_INGEST_BAD_ID",
  "M365FC_ERR_INGEST_DUPLICATE_ID",
  "M365FC_ERR_INGEST_BAD_FIELD",
  "M365FC_ERR_INGEST_BAD_PREFIX",
  "M365FC_ERR_INGEST_BAD_PREFIX_LENGTH",
  "M365FC_ERR_INGEST_HOST_BITS",
  "M365FC_ERR_INGEST_BAD_PORT",
  "M365FC_ERR_INGEST_BAD_CATEGORY",
  "M365FC_ERR_INGEST_BAD_URL",
  "M365FC_ERR_INGEST_BAD_SNAPSHOT",
  "M365FC_ERR_INGEST_BAD_VERSION",
  "M365FC_ERR_INGEST_NO_SETS",
  "M365FC_ERR_INGEST_CATCH_ALL",
  "M365FC_ERR_INGEST_UNREADABLE",
  "M365FC_ERR_CONFIG_BAD_OPTION",
  "M365FC_ERR_FLOW_NOT_OBJECT",
  "M365FC_ERR_FLOW_NO_TARGET",
  "M365FC_ERR_FLOW_BAD_IP",
  "M365FC_ERR_FLOW_BAD_HOST",
  "M365FC_ERR_FLOW_HOST_HAS_PORT",
  "M365FC_ERR_FLOW_HOST_IS_IP",
  "M365FC_ERR_FLOW_HOST_TOO_LONG",
  "M365FC_ERR_FLOW_BAD_PORT",
  "M365FC_ERR_FLOW_BAD_PROTOCOL",
  "M365FC_ERR_SERVE_BAD_JSON",
  "M365FC_ERR_SERVE_BAD_REQUEST",
  "M365FC_ERR_SERVE_BAD_QUERY",
  "M365FC_ERR_SERVE_BAD_MESSAGE",
  "M365FC_ERR_SERVE_UNAUTHORIZED",
  "M365FC_ERR_SERVE_FORBIDDEN",
  "M365FC_ERR_SERVE_NOT_FOUND",
  "M365FC_ERR_SERVE_REQUEST_TIMEOUT",
  "M365FC_ERR_SERVE_BODY_TOO_LARGE",
  "M365FC_ERR_SERVE_TOO_MANY_FLOWS",
  "M365FC_ERR_SERVE_MESSAGE_TOO_LARGE",
  "M365FC_ERR_SERVE_QUERY_TOO_LONG",
  "M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE",
  "M365FC_ERR_SERVE_SLOW_CONSUMER",
  "M365FC_ERR_SERVE_HEADERS_TOO_LARGE",
  "M365FC_ERR_SERVE_INTERNAL",
  "M365FC_ERR_SERVE_NO_UPDATER",
  "M365FC_ERR_SERVE_OVERLOADED",
  "M365FC_ERR_SERVE_NOT_READY",
  "M365FC_ERR_SERVE_SHUTTING_DOWN",
  "M365FC_ERR_SERVE_JSON_TOO_DEEP",
  "M365FC_ERR_SERVE_EXPECTATION_FAILED",
  "M365FC_ERR_SERVE_UPGRADE_REQUIRED",
  "M365FC_ERR_SERVE_TOO_MANY_STREAMS",
  "M365FC_ERR_SERVE_STREAM_IDLE",
  "M365FC_ERR_SERVE_DATA_TOO_OLD",
  "M365FC_ERR_UPSTREAM_TIMEOUT",
  "M365FC_ERR_UPSTREAM_UNREACHABLE",
  "M365FC_ERR_UPSTREAM_RESET",
  "M365FC_ERR_UPSTREAM_SERVER_ERROR",
  "M365FC_ERR_UPSTREAM_HTTP_STATUS",
  "M365FC_ERR_UPSTREAM_RATE_LIMITED",
  "M365FC_ERR_UPSTREAM_CONTENT_TYPE",
  "M365FC_ERR_UPSTREAM_TRUNCATED",
  "M365FC_ERR_UPSTREAM_BAD_JSON",
  "M365FC_ERR_UPSTREAM_BAD_RESPONSE",
  "M365FC_ERR_UPSTREAM_TOO_LARGE",
  "M365FC_ERR_STORE_CORRUPT",
  "M365FC_ERR_STORE_IO",
  "M365FC_ERR_STORE_QUERY_MISMATCH",
  "M365FC_ERR_UPDATE_VERSION_BACKWARDS",
  "M365FC_ERR_UPDATE_SHRINK",
  "M365FC_ERR_UPDATE_BACKING_OFF",
  "M365FC_ERR_UPDATE_STOPPED",
  "M365FC_ERR_UPDATE_WRONG_INSTANCE",
  "M365FC_ERR_UPDATE_WRONG_QUERY",
  "M365FC_ERR_UPDATE_UNEXPECTED",
  "M365FC_ERR_PLUGIN_INVALID",
  "M365FC_ERR_PLUGIN_API_VERSION",
  "M365FC_ERR_PLUGIN_DUPLICATE",
  "M365FC_ERR_PLUGIN_LOAD",
  "M365FC_ERR_EXPORT_UNKNOWN",
  "M365FC_ERR_EXPORT_BAD_OPTION",
  "M365FC_ERR_EXPORT_RENDER",
  "M365FC_ERR_BINARY_BAD_MAGIC",
  "M365FC_ERR_BINARY_BAD_VERSION",
  "M365FC_ERR_BINARY_BAD_KIND",
  "M365FC_ERR_BINARY_TRUNCATED",
  "M365FC_ERR_BINARY_TOO_MANY_RECORDS",
  "M365FC_ERR_BINARY_HOST_TOO_LONG",
  "M365FC_ERR_BINARY_FRAME_TOO_LARGE",
];
