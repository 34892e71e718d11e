import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Flow, FlowError } from '../../core/types.js';
import { isFlowError } from '../../core/types.js';
import type { ServeContext } from '../context.js';
import { errorBody, isErrorCode } from '../error-body.js';
import { classifyCached } from '../host-cache.js';
import { ROUTE_GET, ROUTE_POST } from '../metrics.js';
import { bodySchema, querySchema, withoutItems } from '../openapi.js';
import { sendError, sendErrorBody, sendJson } from '../reply.js';
import { answerFlows, resultBytes } from '../result-json.js';

/** GET and POST /v1/classify. */

interface ClassifyQuery extends Flow {
  ip?: string;
  host?: string;
  port?: string;
  protocol?: string;
  explain?: 'true' | 'false' | '1' | '0';
}

interface BatchBody {
  flows: unknown[];
}

/** A flow the engine refused, answered as a coded error with the engine's message. */
function sendFlowError(reply: FastifyReply, r: FlowError): FastifyReply {
  const code = r.error.code;
  const body = isErrorCode(code) ? errorBody(code, r.error.message) : errorBody('M365FC_ERR_SERVE_BAD_QUERY', r.error.message);
  return sendErrorBody(reply, body);
}

export function classifyRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const { live, caches, metrics, limits } = ctx;

  app.get<{ Querystring: ClassifyQuery }>(
    '/v1/classify',
    {
      schema: { querystring: querySchema(ctx.api, '/v1/classify', 'get') },
      config: { auth: 'lookup' },
      // Before the query is parsed and validated: a long URL is refused for its length alone.
      onRequest(req: FastifyRequest, reply: FastifyReply, done: () => void) {
        if (req.url.length <= limits.queryBytes) return done();
        metrics.countError('M365FC_ERR_SERVE_QUERY_TOO_LONG');
        sendError(reply, 'M365FC_ERR_SERVE_QUERY_TOO_LONG');
      },
    },
    (req, reply) => {
      const c = live.current;
      if (c === null) return sendError(reply, 'M365FC_ERR_SERVE_NOT_READY');
      const q = req.query;
      if (q.explain === 'true' || q.explain === '1') {
        const flow: Flow = { ip: q.ip, host: q.host, port: q.port, protocol: q.protocol };
        const x = c.explain(flow);
        if ('error' in x) {
          metrics.countResult(ROUTE_GET, x);
          return sendFlowError(reply, x);
        }
        metrics.countResult(ROUTE_GET, x.result);
        return sendJson(reply, JSON.stringify({ ...x.result, flow: x.flow, candidates: x.candidates }));
      }
      // The query object is the flow: the engine reads ip, host, port and protocol only.
      const r = classifyCached(c, caches.of(c), q, metrics);
      metrics.countResult(ROUTE_GET, r);
      if (isFlowError(r)) return sendFlowError(reply, r);
      return sendJson(reply, resultBytes(r));
    },
  );

  app.post<{ Body: BatchBody }>(
    '/v1/classify',
    {
      schema: { body: withoutItems(bodySchema(ctx.api, '/v1/classify', 'post'), 'flows') },
      config: { auth: 'lookup' },
    },
    (req, reply) => {
      const c = live.current;
      if (c === null) return sendError(reply, 'M365FC_ERR_SERVE_NOT_READY');
      const prefix = `{"version":${JSON.stringify(c.version)},"results":`;
      return sendJson(reply, answerFlows(c, caches.of(c), req.body.flows, metrics, ROUTE_POST, prefix, '}'));
    },
  );
}
