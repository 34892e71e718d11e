import type { Clock } from '../core/clock.js';
import type { HostCaches } from './host-cache.js';
import type { LiveIndex } from '../follow/live-index.js';
import type { ServeMetrics } from './metrics.js';
import type { OpenApiDocument } from './openapi.js';

/** Size and time limits of the service; every one has a default in DEFAULT_LIMITS. */
export interface ServeLimits {
  /** Largest request body, bytes. 10,000 flows of typical size fit in well under 2 MiB. */
  readonly bodyBytes: number;
  /** Largest WebSocket message, bytes. */
  readonly messageBytes: number;
  /** Longest request URL (path and query), bytes. */
  readonly queryBytes: number;
  /** A WebSocket stops reading when this many answer bytes wait unsent. */
  readonly streamHighWaterBytes: number;
  /** A paused WebSocket whose client reads nothing for this long is closed, ms. */
  readonly streamStallMs: number;
  /** After a close frame, a client that does not answer is cut off after this long, ms. */
  readonly streamCloseGraceMs: number;
  /** Seconds a client is told to wait in Retry-After on 503. */
  readonly retryAfterSeconds: number;
  /** A request's headers and body must all arrive within this of its first byte, ms (else 408). */
  readonly bodyTimeoutMs: number;
  /** A WebSocket that shows no sign of life (no message, no pong) this long is closed, ms; 0: never. */
  readonly streamIdleMs: number;
  /** Open WebSockets at most; one more is refused with 503. */
  readonly streamMaxConnections: number;
}

export const DEFAULT_LIMITS: ServeLimits = {
  bodyBytes: 2 * 1024 * 1024,
  messageBytes: 2 * 1024 * 1024,
  queryBytes: 2048,
  streamHighWaterBytes: 4 * 1024 * 1024,
  streamStallMs: 10_000,
  streamCloseGraceMs: 1_000,
  retryAfterSeconds: 5,
  bodyTimeoutMs: 30_000,
  streamIdleMs: 300_000,
  streamMaxConnections: 1024,
};

/** What every route module needs; built once by buildApp. */
export interface ServeContext {
  readonly live: LiveIndex;
  readonly metrics: ServeMetrics;
  readonly caches: HostCaches;
  readonly api: OpenApiDocument;
  readonly limits: ServeLimits;
  readonly tenant: string | null;
  readonly clock: Clock;
  /** True once close() has begun: readiness fails and WebSockets are told to go. */
  closing: boolean;
  /** /readyz fails when the data is older than this, seconds; 0: off. */
  readonly maxDataAgeSeconds: number;
}
