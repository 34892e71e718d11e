import { systemClock, type Clock } from '../core/clock.js';
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify';
import { isM365Error, M365Error, type ErrorCode } from '../core/errors.js';
import { TokenSet } from './auth.js';
import { DEFAULT_LIMITS, type ServeContext, type ServeLimits } from './context.js';
import { registerBodyLimit } from './body-limit.js';
import { errorBody, toErrorBody } from './error-body.js';
import { installDrain } from './drain.js';
import { HostCaches } from './host-cache.js';
import { edgeServerFactory } from './http-edge.js';
import { parseJsonLimited } from './json-depth.js';
import type { LiveIndex } from '../follow/live-index.js';
import { ServeMetrics } from './metrics.js';
import { loadOpenApi, type OpenApiDocument } from './openapi.js';
import { JSON_TYPE, sendError, sendErrorBody } from './reply.js';
import { classifyRoutes } from './routes/classify.js';
import { dataRoutes } from './routes/data.js';
import { operationsRoutes } from './routes/operations.js';
import type { PluginRegistry } from '../../plugin-api/plugin.js';
import { exportRoutes } from './routes/export.js';
import { statusPageRoutes } from './routes/status-page.js';
import { streamRoutes } from './routes/stream.js';
import { BinaryTcpServer } from './binary/tcp-server.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: anyone, a lookup (or admin) token holder, an admin token holder. */
    auth?: 'none' | 'lookup' | 'admin';
    /** @fastify/under-pressure: a route-level handler; ours exempts liveness and metrics. */
    pressureHandler?: () => void;
  }
  interface FastifyInstance {
    /** The binary protocol's TCP listener (not yet listening), or null without `binary`. */
    binaryTcp: BinaryTcpServer | null;
  }
}

export interface BuildAppOptions {
  readonly liveIndex: LiveIndex;
  /** Defaults to the package's openapi.yaml. */
  readonly openapi?: OpenApiDocument;
  /** Lookup tokens; null or empty: lookups are open. */
  readonly tokens?: readonly string[] | null;
  /** Admin tokens; null or empty: admin routes answer 403. */
  readonly adminTokens?: readonly string[] | null;
  readonly limits?: Partial<ServeLimits>;
  /** Host cache entries per index; 0 disables it. */
  readonly hostCacheSize?: number;
  /** The tenant name the classifier was built with, shown by /v1/version. */
  readonly tenant?: string | null;
  /** The exporters /v1/export serves; defaults to the built-in ones. */
  readonly exporters?: PluginRegistry;
  readonly logger?: FastifyServerOptions['logger'];
  /** @fastify/under-pressure thresholds; false turns overload protection off. */
  readonly underPressure?: FastifyUnderPressureOptions | false;
  /** Register prom-client's process metrics (off in tests that build many apps). */
  readonly defaultMetrics?: boolean;
  readonly clock?: Clock;
  /** Build the binary protocol's TCP listener (app.binaryTcp); the caller makes it listen. */
  readonly binary?: boolean;
  /** /readyz fails when the data is older than this, seconds; 0 or absent: off. */
  readonly maxDataAgeSeconds?: number;
}

export const DEFAULT_HOST_CACHE_SIZE = 50_000;

/** Defaults: only a real stall of the event loop sheds load; a busy loop is a working server. */
export const DEFAULT_UNDER_PRESSURE: FastifyUnderPressureOptions = { maxEventLoopDelay: 1000 };

class OverloadedError extends M365Error {
  constructor() {
    super('M365FC_ERR_SERVE_OVERLOADED');
  }
}

/** Builds the service on `options.liveIndex`. Call `listen` (or `inject`) on the result. */
export function buildApp(options: BuildAppOptions): FastifyInstance {
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const live = options.liveIndex;
  const clock = options.clock ?? systemClock;
  const metrics = new ServeMetrics(live, { defaultMetrics: options.defaultMetrics ?? true, clock });
  // A no-op unless this process is a node:cluster worker.
  metrics.reportToPrimary();
  const ctx: ServeContext = {
    live,
    metrics,
    caches: new HostCaches(options.hostCacheSize ?? DEFAULT_HOST_CACHE_SIZE),
    api: options.openapi ?? loadOpenApi(),
    limits,
    tenant: options.tenant ?? null,
    clock,
    closing: false,
    maxDataAgeSeconds: options.maxDataAgeSeconds ?? 0,
  };

  const app = Fastify({
    logger: options.logger ?? false,
    // No per-request log line: at a million flows a second that would be the whole budget.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger either: pino's child() serializes its bindings on every
    // request, about 10 us of a 50 us GET (bench/serve, CPU per request). The few
    // request-scoped lines (5xx, WebSocket client errors) name the request themselves.
    childLoggerFactory: (logger) => logger,
    // openapi.yaml documents GET only; no implicit HEAD routes beside them.
    exposeHeadRoutes: false,
    bodyLimit: limits.bodyBytes,
    // Node's own answers (request timeout, no Host, Expect) coded: src/serve/http-edge.ts.
    serverFactory: edgeServerFactory({ bodyTimeoutMs: limits.bodyTimeoutMs, countError: (code) => metrics.countError(code) }),
    // Errors fastify answers before routing (a bad URL, a path parameter over 100 characters).
    frameworkErrors: (err, _req, reply) => {
      const body = toErrorBody(err);
      metrics.countError(body.code);
      sendErrorBody(reply, body, limits.retryAfterSeconds);
    },
    // While draining, requests that still arrive on open connections are answered (with
    // Connection: close) rather than refused with fastify's uncoded 503.
    return503OnClosing: false,
    // No coercion: every query parameter is a string already, and a body must not be reshaped
    // ({"flows":"x"} is a bad request, not a batch of one).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allowUnionTypes: true } },
    clientErrorHandler(err, socket) {
      if ((err as { code?: string }).code === 'ECONNRESET' || socket.destroyed) return;
      const code: ErrorCode =
        (err as { code?: string }).code === 'HPE_HEADER_OVERFLOW'
          ? 'M365FC_ERR_SERVE_HEADERS_TOO_LARGE'
          : (err as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? 'M365FC_ERR_SERVE_REQUEST_TIMEOUT'
            : 'M365FC_ERR_SERVE_BAD_REQUEST';
      metrics.countError(code);
      const body = errorBody(code);
      const text = JSON.stringify(body);
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
            `Content-Type: ${JSON_TYPE}\r\nConnection: close\r\n\r\n${text}`,
        );
      }
      socket.destroy();
    },
  });

  // Our own JSON parser: plain JSON.parse. The bodies are only read field by field, never
  // merged into other objects, so a "__proto__" key is inert (it is an own property).
  app.removeAllContentTypeParsers();
  // The depth check comes first (src/serve/json-depth.ts): deep nesting is refused in linear time.
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    let value: unknown;
    try {
      value = parseJsonLimited(body as string);
    } catch (err) {
      done(isM365Error(err) ? err : new M365Error('M365FC_ERR_SERVE_BAD_JSON'), undefined);
      return;
    }
    done(null, value);
  });

  app.setErrorHandler((err, req, reply) => {
    const body = toErrorBody(err);
    if (body.statusCode >= 500 && body.code !== 'M365FC_ERR_SERVE_OVERLOADED') {
      req.log.error({ err, reqId: req.id, method: req.method, url: req.url }, 'request failed');
    }
    metrics.countError(body.code);
    sendErrorBody(reply, body, limits.retryAfterSeconds);
  });
  app.setNotFoundHandler((_req, reply) => {
    metrics.countError('M365FC_ERR_SERVE_NOT_FOUND');
    sendError(reply, 'M365FC_ERR_SERVE_NOT_FOUND');
  });

  if (options.underPressure !== false) {
    app.register(underPressure, {
      ...DEFAULT_UNDER_PRESSURE,
      retryAfter: limits.retryAfterSeconds,
      ...options.underPressure,
      customError: OverloadedError,
    });
  }

  const lookupTokens = options.tokens && options.tokens.length > 0 ? new TokenSet(options.tokens) : null;
  const adminTokens = options.adminTokens && options.adminTokens.length > 0 ? new TokenSet(options.adminTokens) : null;
  // The hook exists only when tokens are configured: an open service pays nothing for auth.
  if (lookupTokens !== null) {
    app.addHook('onRequest', (req, reply, done) => {
      if (req.routeOptions.config.auth !== 'lookup') return done();
      const h = req.headers.authorization;
      if (lookupTokens.accepts(h) || adminTokens?.accepts(h) === true) return done();
      metrics.countError('M365FC_ERR_SERVE_UNAUTHORIZED');
      sendError(reply, 'M365FC_ERR_SERVE_UNAUTHORIZED');
    });
  }
  const adminOnly = (req: { headers: { authorization?: string | undefined } }, reply: FastifyReply, done: () => void): void => {
    const h = req.headers.authorization;
    if (adminTokens?.accepts(h) === true) return done();
    const code: ErrorCode =
      adminTokens === null
        ? 'M365FC_ERR_SERVE_FORBIDDEN'
        : lookupTokens?.accepts(h) === true
          ? 'M365FC_ERR_SERVE_FORBIDDEN'
          : 'M365FC_ERR_SERVE_UNAUTHORIZED';
    metrics.countError(code);
    sendError(reply, code, adminTokens === null ? 'Admin routes are disabled: the server has no admin token file' : undefined);
  };

  app.addHook('onResponse', (req, reply, done) => {
    metrics.requestDuration.observeRoute(req.method, req.routeOptions.url ?? '(unmatched)', reply.elapsedTime / 1000);
    // A probe's 503 (not ready, shutting down) is its answer, not a failure of the service.
    const route = req.routeOptions.url;
    if (route !== '/readyz' && route !== '/healthz') metrics.countResponse(reply.statusCode);
    // A request with an Upgrade header that got an HTTP answer instead (401, 404, 503...) came
    // in through the 'upgrade' event: node no longer manages its socket, so it would stay
    // open and hold up close(). End it once the answer is flushed.
    if (req.headers.upgrade !== undefined) {
      const socket = req.raw.socket;
      socket.end();
      socket.once('finish', () => socket.destroy());
    }
    done();
  });
  app.addHook('preClose', (done) => {
    ctx.closing = true;
    done();
  });

  installDrain(app);
  // Bodies over the limit: a coded 413 the client can read (lingering close), see body-limit.ts.
  registerBodyLimit(app, { bodyBytes: limits.bodyBytes, onRefused: (code) => metrics.countError(code) });
  classifyRoutes(app, ctx);
  dataRoutes(app, ctx, adminOnly);
  operationsRoutes(app, ctx);
  exportRoutes(app, { live: ctx.live, tenant: ctx.tenant, ...(options.exporters ? { registry: options.exporters } : {}) });
  statusPageRoutes(app, ctx);
  app.register(async (child) => streamRoutes(child, ctx));

  const tcpTokens = lookupTokens === null ? null : [lookupTokens, ...(adminTokens === null ? [] : [adminTokens])];
  const binaryTcp = options.binary === true ? new BinaryTcpServer({ ctx, tokens: tcpTokens }) : null;
  app.decorate('binaryTcp', binaryTcp);
  if (binaryTcp !== null) app.addHook('preClose', () => binaryTcp.close(limits.streamCloseGraceMs));
  return app;
}
