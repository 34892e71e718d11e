import type { FastifyInstance } from 'fastify';
import { serviceMetrics } from '../cluster-metrics.js';
import type { ServeContext } from '../context.js';
import { responseSchema } from '../openapi.js';
import { sendError, sendJson } from '../reply.js';

/** GET /healthz, /readyz, /metrics, /openapi.yaml. */

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
