import websocket from '@fastify/websocket';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { FastifyInstance } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { isM365Error, type ErrorCode } from '../../core/errors.js';
import { errorBody } from '../error-body.js';
import { parseJsonLimited, rawTopLevelNumber } from '../json-depth.js';
import type { ServeContext } from '../context.js';
import type { SwapEvent } from '../../follow/live-index.js';
import { answerFrame } from '../binary/answer-frame.js';
import { binaryMetricsOf, countFrame } from '../binary/binary-metrics.js';
import { ROUTE_BINARY, ROUTE_STREAM } from '../metrics.js';
import { codedWebSocketClass, lingerAfterOversize } from '../message-limit.js';
import { componentSchema, isObject, withoutItems } from '../openapi.js';
import { answerFlows } from '../result-json.js';
import { StreamGuard } from '../stream-guard.js';

/**
 * WebSocket /v1/stream. Each client message gets exactly one answer, in order. A client that
 * does not read its answers is paused (no more messages are read from it) once
 * `streamHighWaterBytes` wait unsent, and closed if it still reads nothing for `streamStallMs`:
 * server memory per connection stays bounded by about one high-water mark plus one answer.
 */

const EVENTS = ['version'] as const;
const TEXT_FRAME = { binary: false } as const;
const BINARY_FRAME = { binary: true } as const;

interface Validators {
  classify: ValidateFunction;
  subscribe: ValidateFunction;
  unsubscribe: ValidateFunction;
}

function compileValidators(ctx: ServeContext): Validators {
  const ajv = new Ajv({ allowUnionTypes: true, strict: false });
  return {
    classify: ajv.compile(withoutItems(componentSchema(ctx.api, 'StreamClassifyMessage'), 'flows')),
    subscribe: ajv.compile(componentSchema(ctx.api, 'StreamSubscribeMessage')),
    unsubscribe: ajv.compile(componentSchema(ctx.api, 'StreamUnsubscribeMessage')),
  };
}

function describe(errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  return e ? `message${e.instancePath} ${e.message ?? 'is invalid'}` : 'the message is invalid';
}

/** The JSON text of `"id":…,` for an answer, or '' when the message had no usable id. An
 * integer beyond 2^53 is echoed from the message's own text, digit for digit. */
function idPrefix(msg: Record<string, unknown>, text: string): string {
  const id = msg['id'];
  if ((typeof id === 'string' && id.length <= 128) || Number.isSafeInteger(id)) return `"id":${JSON.stringify(id)},`;
  if (typeof id === 'number' && Number.isInteger(id)) {
    const raw = rawTopLevelNumber(text, 'id');
    if (raw !== null && raw.length <= 128 && Number(raw) === id) return `"id":${raw},`;
  }
  return '';
}

function bytesOf(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

class StreamConnection {
  private paused = false;
  private stallTimer: NodeJS.Timeout | null = null;
  readonly subscribed = new Set<string>();

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ServeContext,
    private readonly validators: Validators,
    private readonly subscribers: Set<StreamConnection>,
  ) {
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', () => this.onClose());
  }

  onMessage(data: RawData, isBinary: boolean): void {
    const started = performance.now();
    if (isBinary) {
      // One binary message is one frame of the binary protocol (src/serve/binary).
      const answer = answerFrame(this.ctx.live.current, bytesOf(data), this.ctx.metrics, ROUTE_BINARY);
      this.send(answer, BINARY_FRAME);
      countFrame(binaryMetricsOf(this.ctx.metrics), 'websocket', answer, started);
      return;
    }
    let msg: unknown;
    const text = textOf(data);
    try {
      msg = parseJsonLimited(text);
    } catch (err) {
      if (isM365Error(err)) this.error('', err.code, err.message);
      else this.error('', 'M365FC_ERR_SERVE_BAD_MESSAGE', 'the message is not valid JSON');
      return;
    }
    if (!isObject(msg)) {
      this.error('', 'M365FC_ERR_SERVE_BAD_MESSAGE', 'the message must be a JSON object');
      return;
    }
    const id = idPrefix(msg, text);
    if ('flows' in msg) this.classify(msg, id);
    else if ('subscribe' in msg) this.subscribe(msg, id, true);
    else if ('unsubscribe' in msg) this.subscribe(msg, id, false);
    else this.error(id, 'M365FC_ERR_SERVE_BAD_MESSAGE', 'a message needs flows, subscribe or unsubscribe');
    this.ctx.metrics.streamMessageDuration.observe((performance.now() - started) / 1000);
  }

  private classify(msg: Record<string, unknown>, id: string): void {
    const v = this.validators.classify;
    if (!v(msg)) {
      const tooMany = v.errors?.some((e) => e.instancePath === '/flows' && e.keyword === 'maxItems');
      if (tooMany) this.error(id, 'M365FC_ERR_SERVE_TOO_MANY_FLOWS');
      else this.error(id, 'M365FC_ERR_SERVE_BAD_MESSAGE', describe(v.errors));
      return;
    }
    const c = this.ctx.live.current;
    if (c === null) {
      this.error(id, 'M365FC_ERR_SERVE_NOT_READY');
      return;
    }
    const { caches, metrics } = this.ctx;
    const prefix = `{${id}"version":${JSON.stringify(c.version)},"results":`;
    this.send(answerFlows(c, caches.of(c), msg['flows'] as unknown[], metrics, ROUTE_STREAM, prefix, '}'));
  }

  private subscribe(msg: Record<string, unknown>, id: string, on: boolean): void {
    const v = on ? this.validators.subscribe : this.validators.unsubscribe;
    if (!v(msg)) {
      this.error(id, 'M365FC_ERR_SERVE_BAD_MESSAGE', describe(v.errors));
      return;
    }
    for (const e of msg[on ? 'subscribe' : 'unsubscribe'] as string[]) {
      if (on) this.subscribed.add(e);
      else this.subscribed.delete(e);
    }
    if (this.subscribed.size > 0) this.subscribers.add(this);
    else this.subscribers.delete(this);
    this.send(`{${id}"subscribed":${JSON.stringify(EVENTS.filter((e) => this.subscribed.has(e)))}}`);
  }

  private error(id: string, code: ErrorCode, message?: string): void {
    this.ctx.metrics.countError(code);
    const { code: c, message: m } = errorBody(code, message);
    this.send(`{${id}"error":${JSON.stringify({ code: c, message: m })}}`);
  }

  /** Sends one answer, as a text frame unless told (a Buffer holds UTF-8 JSON). */
  send(data: string | Buffer, frame: typeof TEXT_FRAME | typeof BINARY_FRAME = TEXT_FRAME): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(data, frame, this.afterWrite);
    if (!this.paused && this.socket.bufferedAmount > this.ctx.limits.streamHighWaterBytes) this.pause();
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
    this.stallTimer = setTimeout(this.onStall, this.ctx.limits.streamStallMs);
  }

  /** Called as each answer is handed to the kernel: resume once half the backlog drained. */
  private readonly afterWrite = (): void => {
    if (this.paused && this.socket.bufferedAmount <= this.ctx.limits.streamHighWaterBytes / 2) {
      this.paused = false;
      if (this.stallTimer !== null) clearTimeout(this.stallTimer);
      this.stallTimer = null;
      this.socket.resume();
    }
  };

  private readonly onStall = (): void => {
    this.stallTimer = null;
    this.ctx.metrics.slowConsumerCloses.inc();
    this.ctx.metrics.countError('M365FC_ERR_SERVE_SLOW_CONSUMER');
    this.closeWith(1008, 'M365FC_ERR_SERVE_SLOW_CONSUMER');
  };

  /** Sends a close frame, and cuts the connection if the client does not answer it in time. */
  closeWith(code: number, reason: string): void {
    this.socket.close(code, reason);
    setTimeout(() => this.socket.terminate(), this.ctx.limits.streamCloseGraceMs).unref();
  }

  private onClose(): void {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.subscribers.delete(this);
    this.ctx.metrics.wsConnections.dec();
  }
}

function versionEvent(e: SwapEvent): string {
  return JSON.stringify({
    event: 'version',
    version: e.current.version,
    previousVersion: e.previous?.version ?? null,
    instance: e.meta.instance,
    source: e.meta.source,
    fetchedAt: e.meta.fetchedAt,
    loadedAt: e.meta.loadedAt,
    change: e.change ?? null,
  });
}

/** Registers /v1/stream in its own encapsulated context, so the WebSocket plugin's hooks do
 * not run on the HTTP routes. */
export async function streamRoutes(app: FastifyInstance, ctx: ServeContext): Promise<void> {
  const validators = compileValidators(ctx);
  binaryMetricsOf(ctx.metrics);
  // Connection cap, idle timeout, coded handshake refusals (src/serve/stream-guard.ts).
  const guard = new StreamGuard(ctx);
  const subscribers = new Set<StreamConnection>();
  const connections = new Set<StreamConnection>();

  const onSwap = (e: SwapEvent): void => {
    if (subscribers.size === 0) return;
    const text = versionEvent(e);
    for (const s of subscribers) if (s.subscribed.has('version')) s.send(text);
  };
  ctx.live.on('swap', onSwap);
  app.addHook('onClose', (_instance, done) => {
    ctx.live.off('swap', onSwap);
    done();
  });

  await app.register(websocket, {
    // maxPayload bounds memory: ws refuses a message once its frame header announces the length.
    options: { maxPayload: ctx.limits.messageBytes, perMessageDeflate: false, WebSocket: codedWebSocketClass(ctx.limits.messageBytes) },
    // ws has already sent its close frame (1009 for an oversized message, 1007 for bad UTF-8,
    // 1002 for a protocol error; the reason carries our code, see message-limit.ts): count it
    // and let the close handshake finish.
    errorHandler(error, _socket, request) {
      const code = (error as { code?: string }).code;
      const tooLarge = code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      ctx.metrics.countError(tooLarge ? 'M365FC_ERR_SERVE_MESSAGE_TOO_LARGE' : 'M365FC_ERR_SERVE_BAD_MESSAGE');
      if (tooLarge) lingerAfterOversize(request.raw.socket);
      request.log.debug({ err: error, reqId: request.id }, 'websocket client error');
    },
    // Shutdown: every client gets a close frame (1001 going away) and is cut off after the grace.
    preClose(done) {
      for (const c of connections) c.closeWith(1001, 'M365FC_ERR_SERVE_SHUTTING_DOWN');
      this.websocketServer.close(() => done());
    },
  });

  guard.installHandshakeErrors(app);

  app.route({
    method: 'GET',
    url: '/v1/stream',
    config: { auth: 'lookup' },
    onRequest: guard.admit,
    handler: guard.upgradeRequired,
    wsHandler: (socket) => {
      if (!guard.accept(socket)) return;
      ctx.metrics.wsConnections.inc();
      const conn = new StreamConnection(socket, ctx, validators, subscribers);
      connections.add(conn);
      socket.on('close', () => connections.delete(conn));
    },
  });
}
