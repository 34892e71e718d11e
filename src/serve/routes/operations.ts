import type { FastifyInstance } from 'fastify';
import { serviceMetrics } from '../cluster-metrics.js';
import type { ServeContext } from '../context.js';
import { responseSchema } from '../openapi.js';
import { sendError, sendJson } from '../reply.js';

/** GET /healthz, /readyz, /metrics, /openapi.yaml. */

/**
 * How old the data in use is for --max-data-age: with an updater, the time since it was last
 * confirmed current (a poll that finds the version unchanged makes old data current again);
 * without one, the time since it was fetched; null when unknown (the embedded bootstrap).
 */
export function dataAgeSeconds(ctx: ServeContext): number | null {
  const fromUpdater = ctx.live.updaterStatus?.dataAgeSeconds;
  if (typeof fromUpdater === 'number') return fromUpdater;
  return ctx.live.ageSeconds();
}

/** Liveness and metrics must answer under pressure: a 503 there would get the process killed. */
const notShed = (): void => undefined;

export function operationsRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const { live, metrics } = ctx;
  const readySchema = responseSchema(ctx.api, '/readyz', 'get', '200');
  const healthText = JSON.stringify({ status: 'ok' });

  app.get('/healthz', { config: { auth: 'none', pressureHandler: notShed } }, (_req, reply) => sendJson(reply, healthText));

  app.get('/readyz', { schema: { response: { 200: readySchema } }, config: { auth: 'none' } }, (_req, reply) => {
    if (ctx.closing) return sendError(reply, 'M365FC_ERR_SERVE_SHUTTING_DOWN');
    const c = live.current;
    const m = live.meta;
    if (c === null || m === null) return sendError(reply, 'M365FC_ERR_SERVE_NOT_READY');
    if (ctx.maxDataAgeSeconds > 0) {
      const age = dataAgeSeconds(ctx);
      if (age === null || age > ctx.maxDataAgeSeconds) {
        const told = age === null ? 'of unknown age' : `${age} s old`;
        return sendError(reply, 'M365FC_ERR_SERVE_DATA_TOO_OLD', `The data (${c.version}, ${m.source}) is ${told}; --max-data-age is ${ctx.maxDataAgeSeconds} s`);
      }
    }
    return reply.send({ status: 'ready', version: c.version, source: m.source, updater: live.updaterStatus });
  });

  app.get('/metrics', { config: { auth: 'lookup', pressureHandler: notShed } }, async (_req, reply) => {
    metrics.hostCacheEntries = live.current ? (ctx.caches.of(live.current)?.size ?? 0) : 0;
    const text = (await serviceMetrics()) ?? (await metrics.text());
    return reply.header('content-type', metrics.contentType).send(text);
  });

  app.get('/openapi.yaml', { config: { auth: 'none' } }, (_req, reply) =>
    reply.header('content-type', 'application/yaml; charset=utf-8').send(ctx.api.text),
  );

}
