import { systemClock, type Clock } from '../core/clock.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ClassifyResult } from '../core/types.js';
import { reportToPrimary } from './cluster-metrics.js';
import type { LiveIndex } from '../follow/live-index.js';
import { RouteHistogram } from './route-histogram.js';

/**
 * Prometheus metrics. The per-flow counters are plain typed-array slots bumped on the hot
 * path and copied into prom-client only when /metrics is scraped: a labelled prom-client
 * `inc` hashes its labels on every call, too dear at a million flows per second.
 */

export const LOOKUP_ROUTES = ['get', 'post', 'stream', 'binary'] as const;
export type LookupRoute = (typeof LOOKUP_ROUTES)[number];
export const ROUTE_GET = 0;
export const ROUTE_POST = 1;
export const ROUTE_STREAM = 2;
/** Binary frames, on the WebSocket and on the TCP port (src/serve/binary). */
export const ROUTE_BINARY = 3;

/** Slots of a lookup outcome: the three categories, not Microsoft 365, a per-flow error. */
const OUTCOMES = ['Optimize', 'Allow', 'Default', 'none', 'error'] as const;
const OUTCOME_ERROR = 4;
const OUTCOME_NONE = 3;

export class ServeMetrics {
  readonly registry = new Registry();
  /** lookups[route * 5 + outcome] */
  readonly lookups = new Float64Array(LOOKUP_ROUTES.length * OUTCOMES.length);
  hostCacheHits = 0;
  hostCacheMisses = 0;
  hostCacheEntries = 0;
  /** HTTP responses by status class: responses[1] 1xx ... responses[5] 5xx. */
  readonly responses = new Float64Array(6);
  private readonly errors = new Map<string, number>();
  readonly requestDuration: RouteHistogram;
  readonly streamMessageDuration: Histogram;
  readonly wsConnections: Gauge;
  readonly slowConsumerCloses: Counter;

  constructor(live: LiveIndex, options: { defaultMetrics?: boolean; clock?: Clock } = {}) {
    const registers = [this.registry];
    const self = this;
    const clock = options.clock ?? systemClock;
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });

    new Counter({
      name: 'm365fc_lookups_total',
      help: 'Flows classified, by route and outcome (category, none, error)',
      labelNames: ['route', 'category'],
      registers,
      collect() {
        this.reset();
        for (let r = 0; r < LOOKUP_ROUTES.length; r++) {
          for (let o = 0; o < OUTCOMES.length; o++) {
            const v = self.lookups[r * OUTCOMES.length + o] ?? 0;
            if (v > 0) this.inc({ route: LOOKUP_ROUTES[r]!, category: OUTCOMES[o]! }, v);
          }
        }
      },
    });
    new Counter({
      name: 'm365fc_errors_total',
      help: 'Coded errors answered (HTTP errors, per-flow errors, WebSocket errors), by code',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        for (const [code, v] of self.errors) this.inc({ code }, v);
      },
    });
    new Counter({
      name: 'm365fc_host_cache_hits_total',
      help: 'Host lookups answered from the per-index host cache',
      registers,
      collect() {
        this.reset();
        this.inc(self.hostCacheHits);
      },
    });
    new Counter({
      name: 'm365fc_host_cache_misses_total',
      help: 'Host lookups that went to the engine',
      registers,
      collect() {
        this.reset();
        this.inc(self.hostCacheMisses);
      },
    });
    this.requestDuration = new RouteHistogram({
      name: 'm365fc_http_request_duration_seconds',
      help: 'HTTP request duration, from request start to response end',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.streamMessageDuration = new Histogram({
      name: 'm365fc_stream_message_duration_seconds',
      help: 'Time to answer one WebSocket message (parse, classify, serialize)',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    });
    this.wsConnections = new Gauge({
      name: 'm365fc_websocket_connections',
      help: 'Open WebSocket connections',
      registers,
    });
    this.slowConsumerCloses = new Counter({
      name: 'm365fc_websocket_slow_consumer_closes_total',
      help: 'WebSocket connections closed because the client did not read its answers',
      registers,
    });
    new Gauge({
      name: 'm365fc_data_info',
      help: 'The data in use (value 1), by version, instance and source',
      labelNames: ['version', 'instance', 'source'],
      registers,
      // Under --workers N: 1 per version in use, not N.
      aggregator: 'max',
      collect() {
        this.reset();
        const c = live.current;
        const m = live.meta;
        if (c !== null && m !== null) this.set({ version: c.version, instance: m.instance, source: m.source }, 1);
      },
    });
    new Gauge({
      name: 'm365fc_data_age_seconds',
      help: 'Seconds since the data in use was fetched from Microsoft (absent when unknown)',
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        const age = live.ageSeconds();
        if (age !== null) this.set(age);
      },
    });
    new Gauge({
      name: 'm365fc_index_loaded_timestamp_seconds',
      help: 'When the index in use was published in this process (Unix seconds)',
      registers,
      aggregator: 'min',
      collect() {
        this.reset();
        const t = live.meta ? Date.parse(live.meta.loadedAt) : NaN;
        if (!Number.isNaN(t)) this.set(t / 1000);
      },
    });
    new Gauge({
      name: 'm365fc_host_cache_entries',
      help: 'Entries in the host cache of the index in use',
      registers,
      collect() {
        this.set(self.hostCacheEntries);
      },
    });
    new Gauge({
      name: 'm365fc_updater_status',
      help: 'Updater state by field (consecutive_failures, stale, last_success_age_seconds, last_attempt_age_seconds, reloads_refused); absent without an updater',
      labelNames: ['field'],
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        const u = live.updaterStatus;
        if (u === null) return;
        if (typeof u.consecutiveFailures === 'number') this.set({ field: 'consecutive_failures' }, u.consecutiveFailures);
        if (typeof u.stale === 'boolean') this.set({ field: 'stale' }, u.stale ? 1 : 0);
        const ok = typeof u.lastSuccess === 'string' ? Date.parse(u.lastSuccess) : NaN;
        if (!Number.isNaN(ok)) this.set({ field: 'last_success_age_seconds' }, Math.max(0, (clock.now() - ok) / 1000));
        const at = typeof u.lastAttempt === 'string' ? Date.parse(u.lastAttempt) : NaN;
        if (!Number.isNaN(at)) this.set({ field: 'last_attempt_age_seconds' }, Math.max(0, (clock.now() - at) / 1000));
        if (typeof u.reloadsRefused === 'number') this.set({ field: 'reloads_refused' }, u.reloadsRefused);
      },
    });
    // The updater's last error code as a label (1 while it is the last error); absent when none.
    new Gauge({
      name: 'm365fc_updater_last_error',
      help: 'The code of the updater\'s last error (value 1); absent when the last check succeeded or no updater runs',
      labelNames: ['code'],
      registers,
      collect() {
        this.reset();
        const code = live.updaterStatus?.lastErrorCode;
        if (typeof code === 'string') this.set({ code }, 1);
      },
    });
    // Versions as numbers (YYYYMMDDNN fits a double exactly) so that rules can compare them:
    // a replica whose data version is below the latest it saw upstream is behind.
    new Gauge({
      name: 'm365fc_data_version',
      help: 'The version of the data in use as a number (YYYYMMDDNN; 0 for the undated embedded bootstrap)',
      registers,
      // Under --workers N: the oldest version any worker serves.
      aggregator: 'min',
      collect() {
        this.reset();
        const v = live.current?.version;
        if (v !== undefined && /^\d{10}$/.test(v)) this.set(Number(v));
      },
    });
    new Gauge({
      name: 'm365fc_upstream_latest_version',
      help: 'The latest version upstream announced at the last successful check, as a number; absent before one or without an updater',
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        const v = live.updaterStatus?.latestSeen;
        if (typeof v === 'string' && /^\d{10}$/.test(v)) this.set(Number(v));
      },
    });
    new Counter({
      name: 'm365fc_http_responses_total',
      help: 'HTTP responses by status class (2xx, 4xx, 5xx...); the /healthz and /readyz probes are not counted',
      labelNames: ['status_class'],
      registers,
      collect() {
        this.reset();
        for (let c = 1; c < self.responses.length; c++) {
          const v = self.responses[c] ?? 0;
          if (v > 0) this.inc({ status_class: `${c}xx` }, v);
        }
      },
    });
  }

  /** Under --workers N, lets the primary aggregate this registry with the other workers'. */
  reportToPrimary(): void {
    reportToPrimary(this.registry);
  }

  /** Counts one answered flow; `r` is the engine's result. */
  countResult(route: number, r: ClassifyResult): void {
    const c = (r as { category?: string | null }).category;
    let slot: number;
    if (c === 'Optimize') slot = 0;
    else if (c === 'Allow') slot = 1;
    else if (c === 'Default') slot = 2;
    else if (c === null) slot = OUTCOME_NONE;
    else {
      slot = OUTCOME_ERROR;
      const code = (r as { error?: { code?: string } }).error?.code;
      if (code !== undefined) this.countError(code);
    }
    this.lookups[route * OUTCOMES.length + slot]!++;
  }

  /** Counts one HTTP response by its status class. */
  countResponse(statusCode: number): void {
    const c = (statusCode / 100) | 0;
    if (c >= 1 && c <= 5) this.responses[c]!++;
  }

  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
