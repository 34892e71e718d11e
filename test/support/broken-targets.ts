import websocket, { type WebsocketPluginOptions } from '@fastify/websocket';
import WebSocket from 'ws';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createClassifier, isIPv4Mapped, parseIPv6, type Classifier } from '../../src/index.js';
import { registerBodyLimit } from '../../src/serve/body-limit.js';
import { errorBody, toErrorBody } from '../../src/serve/error-body.js';
import { codedWebSocketClass } from '../../src/serve/message-limit.js';
import { bodySchema, loadOpenApi, querySchema, withoutItems } from '../../src/serve/openapi.js';
import { isFlowError, type ClassifyResult, type Flow, type Snapshot } from '../../src/core/types.js';

/**
 * Thin targets for the certification tests: a small fastify server on 127.0.0.1 that implements
 * the routes of openapi.yaml around our engine, correctly (`none`) or with one deliberate fault.
 * Each fault must fail the checks that concern it and no other.
 */
export type Misbehaviour =
  | 'none'
  /** `*.x.com` also matches `x.com`. */
  | 'apex'
  /** Port and protocol are read (bad ones refused) and then ignored. */
  | 'ignore-ports'
  /** Any IPv6 address (not IPv4-mapped) is not Microsoft 365. */
  | 'ipv6-not-m365'
  /** The higher category wins before the more specific match. */
  | 'category-first'
  /** Bad input gets 500 instead of a coded 4xx. */
  | '500-on-bad-input'
  /** Answers lack the required `version` field (off the contract, right otherwise). */
  | 'no-version'
  /** Correct, but serves none of the operations marked x-m365fc-optional (a vendor's minimal implementation). */
  | 'core-only'
  /** An oversize WebSocket message gets ws's bare 1009, with no coded reason. */
  | 'bare-1009'
  /** An oversize body or message is dropped: the connection is cut with no answer at all. */
  | 'drop-oversize';

export interface ThinTarget {
  readonly url: string;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

const QUERY_LIMIT = 4096;
const BODY_LIMIT = 2 * 1024 * 1024;

type WebSocketClass = NonNullable<NonNullable<WebsocketPluginOptions['options']>['WebSocket']>;

/** Cuts the connection where ws would close with 1009: no close frame reaches the client. */
class DroppingWebSocket extends WebSocket {
  override close(code?: number, data?: string | Buffer): void {
    if (code === 1009 && data === undefined) this.terminate();
    else super.close(code, data);
  }
}

/** How the target meets bodies and messages over the limit. */
function oversizeHandling(app: FastifyInstance, misbehave: Misbehaviour): NonNullable<WebsocketPluginOptions['options']> {
  if (misbehave === 'drop-oversize') {
    app.addHook('preParsing', (req, _reply, payload, done) => {
      if (Number(req.headers['content-length']) > BODY_LIMIT) req.raw.socket.destroy();
      let n = 0;
      payload.on('data', (c: Buffer) => {
        n += c.length;
        if (n > BODY_LIMIT) req.raw.socket.destroy();
      });
      done(null, payload);
    });
    return { maxPayload: BODY_LIMIT, WebSocket: DroppingWebSocket as WebSocketClass };
  }
  // A 500 for bad input is a 500 for a body over the limit too: fastify's own 413, mapped.
  if (misbehave !== '500-on-bad-input') registerBodyLimit(app, { bodyBytes: BODY_LIMIT });
  return { maxPayload: BODY_LIMIT, ...(misbehave === 'bare-1009' ? {} : { WebSocket: codedWebSocketClass(BODY_LIMIT) }) };
}

function decider(snapshot: Snapshot, misbehave: Misbehaviour): { classifier: Classifier; decide: (flow: Flow) => ClassifyResult } {
  const good = createClassifier(snapshot);
  const classifier = misbehave === 'category-first' ? createClassifier(snapshot, { precedence: 'category-first' }) : good;
  const none = good.classify({ ip: '192.0.2.1' });
  const words = new Uint32Array(4);
  const decide = (flow: Flow): ClassifyResult => {
    const r = classifier.classify(flow);
    if (isFlowError(r)) return r;
    if (misbehave === 'apex' && !r.m365 && typeof flow.host === 'string') {
      const host = flow.host.toLowerCase().replace(/\.$/, '');
      const probe = good.classify({ ...flow, host: `apex-probe.${host}` });
      if (!isFlowError(probe) && probe.matched === `*.${host}`) return probe;
    }
    if (misbehave === 'ignore-ports') return good.classify({ ip: flow.ip, host: flow.host });
    if (misbehave === 'no-version') {
      const { version: _dropped, ...rest } = r;
      return rest as ClassifyResult;
    }
    if (misbehave === 'ipv6-not-m365' && typeof flow.ip === 'string' && parseIPv6(flow.ip, words) && !isIPv4Mapped(words)) {
      return flow.host === undefined ? none : good.classify({ host: flow.host, port: flow.port, protocol: flow.protocol });
    }
    return r;
  };
  return { classifier, decide };
}

export async function startThinTarget(o: { snapshot: Snapshot; misbehave?: Misbehaviour; source?: string }): Promise<ThinTarget> {
  const misbehave = o.misbehave ?? 'none';
  const api = loadOpenApi();
  const { classifier, decide } = decider(o.snapshot, misbehave);
  const loadedAt = new Date().toISOString();
  // The contract's validation: no type coercion, unknown fields refused, JSON bodies only.
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT, forceCloseConnections: true, ajv: { customOptions: { coerceTypes: false, removeAdditional: false } } });
  app.removeContentTypeParser('text/plain');
  await app.register(websocket, { options: oversizeHandling(app, misbehave) });

  const fail = (reply: FastifyReply, body: ReturnType<typeof errorBody>): FastifyReply => {
    if (misbehave === '500-on-bad-input') return reply.code(500).send(errorBody('M365FC_ERR_SERVE_INTERNAL'));
    return reply.code(body.statusCode).send(body);
  };
  app.setErrorHandler((err, _req, reply) => fail(reply, toErrorBody(err)));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(errorBody('M365FC_ERR_SERVE_NOT_FOUND')));
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.length > QUERY_LIMIT) await fail(reply, errorBody('M365FC_ERR_SERVE_QUERY_TOO_LONG'));
  });

  app.get('/v1/classify', { schema: { querystring: querySchema(api, '/v1/classify', 'get') } }, async (req, reply) => {
    const q = req.query as Flow & { explain?: string };
    const flow: Flow = { ip: q.ip, host: q.host, port: q.port, protocol: q.protocol };
    const r = decide(flow);
    if (isFlowError(r)) return fail(reply, errorBody(r.error.code as Parameters<typeof errorBody>[0]));
    if (q.explain === 'true' || q.explain === '1') {
      const x = classifier.explain(flow);
      return 'error' in x ? x : { ...x.result, flow: x.flow, candidates: x.candidates };
    }
    return r;
  });
  app.post('/v1/classify', { schema: { body: withoutItems(bodySchema(api, '/v1/classify', 'post'), 'flows') } }, async (req, reply) => {
    const results = (req.body as { flows: Flow[] }).flows.map(decide);
    if (misbehave === '500-on-bad-input' && results.some(isFlowError)) return fail(reply, errorBody('M365FC_ERR_SERVE_INTERNAL'));
    return { version: classifier.version, results };
  });
  const versionInfo = () => ({
    version: classifier.version,
    instance: o.snapshot.instance,
    source: o.source ?? 'file',
    fetchedAt: o.snapshot.fetchedAt,
    loadedAt,
    precedence: 'specific-first',
    tenant: null,
    sets: o.snapshot.sets.length,
  });
  app.get('/v1/version', async () => ({ ...versionInfo(), ageSeconds: null }));
  app.get('/v1/endpoints', async () => ({ version: classifier.version, instance: o.snapshot.instance, fetchedAt: o.snapshot.fetchedAt, sets: o.snapshot.sets }));
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => ({ status: 'ready', version: classifier.version, source: o.source ?? 'file' }));
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4').send('# thin target\nm365fc_up 1\n'));
  app.get('/openapi.yaml', async (_req, reply) => reply.type('application/yaml').send(api.text));
  if (o.misbehave !== 'core-only') {
    app.get('/v1/changes', { schema: { querystring: querySchema(api, '/v1/changes', 'get') } }, async (req) => ({
      version: classifier.version,
      since: (req.query as { since?: string }).since ?? null,
      changes: [],
    }));
    app.post('/v1/admin/refresh', async (_req, reply) => reply.code(403).send(errorBody('M365FC_ERR_SERVE_FORBIDDEN')));
    app.get('/', async (_req, reply) => reply.type('text/html').send('<!doctype html><title>thin target</title>'));
    app.get('/v1/export/:name', async (req, reply) =>
      (req.params as { name: string }).name === 'list'
        ? reply.type('text/plain').send(o.snapshot.sets.flatMap((set) => set.urls).join('\n'))
        : reply.code(404).send(errorBody('M365FC_ERR_EXPORT_UNKNOWN')),
    );
    app.get('/v1/stats', async () => ({
      at: new Date().toISOString(),
      uptimeSeconds: 0,
      data: { ...versionInfo(), ageSeconds: null },
      lookups: { Optimize: 0, Allow: 0, Default: 0, none: 0, error: 0 },
      updater: null,
      recentChanges: [],
    }));
  }

  app.get('/v1/stream', { websocket: true }, (socket) => {
    let subscribed: string[] = [];
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const send = (m: object): void => socket.send(JSON.stringify(m));
      const bad = (id?: unknown): void => send({ ...(id !== undefined ? { id } : {}), error: { code: 'M365FC_ERR_SERVE_BAD_MESSAGE', message: 'not a valid message' } });
      if (isBinary) return bad();
      let m: unknown;
      try {
        m = JSON.parse(data.toString('utf8'));
      } catch {
        return bad();
      }
      if (typeof m !== 'object' || m === null || Array.isArray(m)) return bad();
      const msg = m as { id?: unknown; flows?: unknown; subscribe?: unknown; unsubscribe?: unknown };
      const id = typeof msg.id === 'string' || typeof msg.id === 'number' ? msg.id : undefined;
      const topics = (v: unknown): v is string[] => Array.isArray(v) && v.every((t) => t === 'version');
      if (Array.isArray(msg.flows)) {
        if (msg.flows.length > 10_000) return send({ ...(id !== undefined ? { id } : {}), error: { code: 'M365FC_ERR_SERVE_TOO_MANY_FLOWS', message: 'too many flows' } });
        return send({ ...(id !== undefined ? { id } : {}), version: classifier.version, results: (msg.flows as Flow[]).map(decide) });
      }
      if (topics(msg.subscribe)) {
        subscribed = [...new Set([...subscribed, ...msg.subscribe])];
        return send({ ...(id !== undefined ? { id } : {}), subscribed });
      }
      if (topics(msg.unsubscribe)) {
        const drop = msg.unsubscribe;
        subscribed = subscribed.filter((t) => !drop.includes(t));
        return send({ ...(id !== undefined ? { id } : {}), subscribed });
      }
      return bad(id);
    });
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, app, close: () => app.close() };
}
