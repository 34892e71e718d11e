import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Classifier } from '../../match/classifier.js';
import type { ServeContext } from '../context.js';
import { querySchema, responseSchema } from '../openapi.js';
import { sendError, sendJson } from '../reply.js';

/** GET /v1/version, /v1/endpoints, /v1/changes and POST /v1/admin/refresh. */

type AdminHook = (req: { headers: { authorization?: string | undefined } }, reply: FastifyReply, done: () => void) => void;

/** The /v1/endpoints body of each index, built once: it only changes with the index. */
const endpointsJson = new WeakMap<Classifier, string>();

function endpointsOf(c: Classifier): string {
  let text = endpointsJson.get(c);
  if (text === undefined) {
    const s = c.snapshot;
    text = JSON.stringify({ version: c.version, instance: s.instance, fetchedAt: s.fetchedAt, sets: s.sets });
    endpointsJson.set(c, text);
  }
  return text;
}

/** The data in use, as /v1/version and the status page tell it; null until data is loaded. */
export interface DataInUse {
  version: string;
  instance: string;
  source: string;
  fetchedAt: string | null;
  loadedAt: string;
  ageSeconds: number | null;
  precedence: string;
  tenant: string | null;
  sets: number;
}

export function dataInUse(ctx: ServeContext): DataInUse | null {
  const c = ctx.live.current;
  const m = ctx.live.meta;
  if (c === null || m === null) return null;
  return {
    version: c.version,
    instance: m.instance,
    source: m.source,
    fetchedAt: m.fetchedAt,
    loadedAt: m.loadedAt,
    ageSeconds: ctx.live.ageSeconds(),
    precedence: c.precedence,
    tenant: ctx.tenant,
    sets: c.snapshot.sets.length,
  };
}

function response200(ctx: ServeContext, path: string, method: 'get' | 'post'): { response: Record<string, unknown> } {
  const schema = responseSchema(ctx.api, path, method, '200');
  if (schema === null) throw new Error(`openapi.yaml: ${method.toUpperCase()} ${path} has no 200 JSON schema`);
  return { response: { 200: schema } };
}

export function dataRoutes(app: FastifyInstance, ctx: ServeContext, adminOnly: AdminHook): void {
  const { live } = ctx;

  app.get('/v1/version', { schema: response200(ctx, '/v1/version', 'get'), config: { auth: 'lookup' } }, (_req, reply) => {
    const data = dataInUse(ctx);
    if (data === null) return sendError(reply, 'M365FC_ERR_SERVE_NOT_READY');
    return reply.send({
      ...data,
      updater: live.updaterStatus,
    });
  });

  app.get('/v1/endpoints', { config: { auth: 'lookup' } }, (_req, reply) => {
    const c = live.current;
    if (c === null) return sendError(reply, 'M365FC_ERR_SERVE_NOT_READY');
    return sendJson(reply, endpointsOf(c));
  });

  app.get<{ Querystring: { since?: string } }>(
    '/v1/changes',
    {
      schema: { querystring: querySchema(ctx.api, '/v1/changes', 'get'), ...response200(ctx, '/v1/changes', 'get') },
      config: { auth: 'lookup' },
    },
    (req, reply) => {
      const c = live.current;
      if (c === null) return sendError(reply, 'M365FC_ERR_SERVE_NOT_READY');
      const since = req.query.since;
      const all = live.changes ?? [];
      // YYYYMMDDNN versions of equal length order as strings.
      const changes = since === undefined ? all : all.filter((ch) => ch.version > since);
      return reply.send({ version: c.version, since: since ?? null, changes });
    },
  );

  app.post(
    '/v1/admin/refresh',
    { schema: response200(ctx, '/v1/admin/refresh', 'post'), config: { auth: 'admin' }, onRequest: adminOnly },
    async (_req, reply) => {
      const refresh = live.refresh;
      if (refresh === undefined) return sendError(reply, 'M365FC_ERR_SERVE_NO_UPDATER');
      // A refresh that throws reaches the error handler: coded if it is an M365Error, logged if not.
      return reply.send(await refresh());
    },
  );
}
