/**
 * A typed client of the m365-flow-classifier service, on undici (HTTP) and ws (WebSocket).
 *
 *   const client = new M365fcClient({ baseUrl: 'http://127.0.0.1:8365', token });
 *   const c = await client.classify({ host: 'outlook.office.com', port: 443 });
 *   const stream = client.stream({ subscribe: ['version'] });
 *   stream.on('version', (e) => console.log('now answering from', e.version));
 *   const { results } = await stream.classify([{ ip: '40.96.1.1' }, { host: 'teams.microsoft.com' }]);
 *
 * Every failure is an M365fcClientError whose `code` is the server's (an `ErrorCode`) or, when no
 * server answer exists, one of the client's own `M365FC_ERR_CLIENT_*` codes. Match on `code`.
 *
 * The stream reconnects by itself (exponential back-off), subscribes again to what it was
 * subscribed to, sends again the requests that had no answer, and settles every request in the
 * order it was made.
 */
import { EventEmitter } from 'node:events';
import { Pool, type Dispatcher } from 'undici';
import { WebSocket, type RawData } from 'ws';
import type {
  BatchResponse,
  Classification,
  EndpointsResponse,
  ErrorCode,
  ExplainedClassification,
  Flow,
  StreamClassifyResult,
  StreamVersionEvent,
  VersionInfo,
} from './types.js';

/** Codes of failures that carry no server answer. */
export type ClientOnlyErrorCode =
  /** The server could not be reached, or the connection broke. */
  | 'M365FC_ERR_CLIENT_NETWORK'
  /** No answer in `timeoutMs`. */
  | 'M365FC_ERR_CLIENT_TIMEOUT'
  /** The answer is not what openapi.yaml documents (not JSON, no code). */
  | 'M365FC_ERR_CLIENT_BAD_RESPONSE'
  /** The client or stream was closed, or a request was resent `maxResends` times without an answer. */
  | 'M365FC_ERR_CLIENT_CLOSED';

export type ClientErrorCode = ErrorCode | ClientOnlyErrorCode;

export class M365fcClientError extends Error {
  readonly code: ClientErrorCode;
  /** The HTTP status, or null when there was no HTTP answer (network, WebSocket). */
  readonly statusCode: number | null;

  constructor(code: ClientErrorCode, message: string, statusCode: number | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'M365fcClientError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

export function isM365fcClientError(err: unknown): err is M365fcClientError {
  return err instanceof M365fcClientError;
}

export interface ClientOptions {
  /** The service, e.g. `http://127.0.0.1:8365`. */
  readonly baseUrl: string;
  /** Bearer token, when the server runs with `--token-file`. */
  readonly token?: string;
  /** An undici dispatcher to use instead of the client's own Pool (a MockAgent in tests). */
  readonly dispatcher?: Dispatcher;
  /** Connections of the client's own Pool. Default 4. */
  readonly connections?: number;
  /** Headers and body timeout of a request, ms. Default 30000. */
  readonly timeoutMs?: number;
}

export type ExportOptionValue = string | number | boolean | ReadonlyArray<string | number>;

export interface ExportResult {
  /** 304 when `ifNoneMatch` named the current file: `body` is then ''. */
  readonly status: 200 | 304;
  readonly body: string;
  readonly contentType: string | null;
  readonly etag: string | null;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

function transportError(err: unknown): M365fcClientError {
  if (isM365fcClientError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new M365fcClientError(typeof code === 'string' && TIMEOUT_CODES.has(code) ? 'M365FC_ERR_CLIENT_TIMEOUT' : 'M365FC_ERR_CLIENT_NETWORK', message, null, { cause: err });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function headerText(v: string | string[] | undefined): string | null {
  return v === undefined ? null : Array.isArray(v) ? (v[0] ?? null) : v;
}

export class M365fcClient {
  readonly baseUrl: URL;
  private readonly dispatcher: Dispatcher;
  private readonly ownPool: Pool | null;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly streams = new Set<ClassifierStream>();

  constructor(options: ClientOptions) {
    this.baseUrl = new URL(options.baseUrl);
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.ownPool = options.dispatcher ? null : new Pool(this.baseUrl.origin, { connections: options.connections ?? 4 });
    this.dispatcher = options.dispatcher ?? (this.ownPool as Pool);
  }

  /** Classifies one flow (GET /v1/classify). An invalid flow throws its `M365FC_ERR_FLOW_*` code. */
  classify(flow: Flow): Promise<Classification> {
    return this.getJson(`/v1/classify?${flowQuery(flow)}`) as Promise<Classification>;
  }

  /** Like classify, with the normalized flow and every candidate set. */
  explain(flow: Flow): Promise<ExplainedClassification> {
    return this.getJson(`/v1/classify?${flowQuery(flow)}&explain=true`) as Promise<ExplainedClassification>;
  }

  /** Up to 10000 flows (POST /v1/classify); a bad flow is answered in place with a FlowError. */
  async classifyBatch(flows: readonly Flow[]): Promise<BatchResponse> {
    const { status, headers, text } = await this.request('POST', '/v1/classify', JSON.stringify({ flows }));
    return this.json(status, headers, text) as BatchResponse;
  }

  version(): Promise<VersionInfo> {
    return this.getJson('/v1/version') as Promise<VersionInfo>;
  }

  endpoints(): Promise<EndpointsResponse> {
    return this.getJson('/v1/endpoints') as Promise<EndpointsResponse>;
  }

  /**
   * A file from an exporter (GET /v1/export/NAME?options). Pass the ETag of a file you have as
   * `ifNoneMatch` to get a 304 and no body when it is still current.
   */
  async export(name: string, options: Readonly<Record<string, ExportOptionValue | undefined>> = {}, request: { ifNoneMatch?: string } = {}): Promise<ExportResult> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(options)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v as ReadonlyArray<string | number>) q.append(k, String(item));
      else q.append(k, String(v));
    }
    const query = q.toString();
    const path = `/v1/export/${encodeURIComponent(name)}${query === '' ? '' : `?${query}`}`;
    const extra = request.ifNoneMatch !== undefined ? { 'if-none-match': request.ifNoneMatch } : {};
    const { status, headers, text } = await this.request('GET', path, undefined, extra);
    const etag = headerText(headers['etag']);
    if (status === 304) return { status: 304, body: '', contentType: null, etag };
    if (status !== 200) this.json(status, headers, text);
    return { status: 200, body: text, contentType: headerText(headers['content-type']), etag };
  }

  /** A WebSocket stream (GET /v1/stream) that reconnects by itself; see ClassifierStream. */
  stream(options: StreamOptions = {}): ClassifierStream {
    const url = new URL('/v1/stream', this.baseUrl);
    url.protocol = this.baseUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const s = new ClassifierStream(url.href, this.token, options);
    this.streams.add(s);
    s.once('closed', () => this.streams.delete(s));
    return s;
  }

  /** Closes the streams this client opened and its own connection pool. */
  async close(): Promise<void> {
    await Promise.all([...this.streams].map((s) => s.close()));
    if (this.ownPool) await this.ownPool.close();
  }

  private async getJson(path: string): Promise<unknown> {
    const { status, headers, text } = await this.request('GET', path);
    return this.json(status, headers, text);
  }

  private async request(method: 'GET' | 'POST', path: string, body?: string, extra: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
    const headers: Record<string, string> = { accept: 'application/json', ...extra };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers['authorization'] = `Bearer ${this.token}`;
    try {
      const res = await this.dispatcher.request({
        origin: this.baseUrl.origin,
        method,
        path,
        headers,
        ...(body !== undefined ? { body } : {}),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
    } catch (err) {
      throw transportError(err);
    }
  }

  /** The JSON body of a 2xx answer; for any other status, throws the server's coded error. */
  private json(status: number, headers: Record<string, string | string[] | undefined>, text: string): unknown {
    let body: unknown;
    const isJson = (headerText(headers['content-type']) ?? '').includes('json');
    try {
      body = isJson ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (status >= 200 && status < 300) {
      if (body === undefined) throw new M365fcClientError('M365FC_ERR_CLIENT_BAD_RESPONSE', `HTTP ${status} answer is not JSON`, status);
      return body;
    }
    if (isRecord(body) && typeof body['code'] === 'string') {
      throw new M365fcClientError(body['code'] as ErrorCode, typeof body['message'] === 'string' ? body['message'] : `HTTP ${status}`, status);
    }
    throw new M365fcClientError('M365FC_ERR_CLIENT_BAD_RESPONSE', `HTTP ${status} without a coded error body`, status);
  }
}

function flowQuery(flow: Flow): string {
  const q = new URLSearchParams();
  for (const key of ['ip', 'host', 'port', 'protocol'] as const) {
    const v = flow[key];
    if (v !== undefined) q.set(key, String(v));
  }
  return q.toString();
}

// ---------------------------------------------------------------------------------------------
// WebSocket stream

export type StreamEventName = 'version';

export interface ReconnectOptions {
  /** First delay after a connection is lost or refused, ms. Default 100. */
  readonly initialDelayMs?: number;
  /** Largest delay, ms. Default 10000. */
  readonly maxDelayMs?: number;
  /** Growth of the delay per failed attempt. Default 2. */
  readonly factor?: number;
  /** Give up after this many failed attempts in a row (pending requests then fail). Default: never. */
  readonly maxAttempts?: number;
}

/** Schedules `fn` after `ms` and returns a cancel function. Injectable so tests need not wait. */
export type Scheduler = (fn: () => void, ms: number) => () => void;

export interface StreamOptions {
  /** Events to subscribe to now and again after every reconnect. */
  readonly subscribe?: readonly StreamEventName[];
  readonly reconnect?: ReconnectOptions;
  /** A request still unanswered after being sent this many times fails with M365FC_ERR_CLIENT_CLOSED. Default 3. */
  readonly maxResends?: number;
  readonly scheduler?: Scheduler;
}

export interface StreamEvents {
  /** A connection is open (the first one and each reconnect). */
  open: [];
  /** A connection closed; `reconnecting` says whether another attempt follows. */
  disconnect: [info: { code: number; reason: string; reconnecting: boolean }];
  /** A reconnect attempt is scheduled. */
  reconnecting: [info: { attempt: number; delayMs: number }];
  version: [event: StreamVersionEvent];
  /** A failure not tied to one request (an uncorrelated StreamError, a refused upgrade). */
  error: [err: M365fcClientError];
  /** The stream is closed for good. */
  closed: [];
}

interface Pending {
  readonly id: number;
  readonly message: Record<string, unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: M365fcClientError) => void;
  sends: number;
  /** The client's own re-subscription: dropped, not sent again, when its connection is lost. */
  readonly internal: boolean;
  /** Sent on the current connection and not answered yet. */
  inFlight: boolean;
  settled: { ok: true; value: unknown } | { ok: false; error: M365fcClientError } | null;
}

const defaultScheduler: Scheduler = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export class ClassifierStream extends EventEmitter<StreamEvents> {
  private ws: WebSocket | null = null;
  private nextId = 1;
  /** Every unsettled request, in the order made; settled ones leave from the front only. */
  private readonly queue: Pending[] = [];
  private readonly byId = new Map<number, Pending>();
  private readonly subscriptions = new Set<StreamEventName>();
  private attempt = 0;
  private cancelTimer: (() => void) | null = null;
  private closing = false;
  private closedPromise: Promise<void> | null = null;
  private readonly reconnect: Required<ReconnectOptions>;
  private readonly maxResends: number;
  private readonly schedule: Scheduler;

  constructor(
    readonly url: string,
    private readonly token: string | undefined,
    options: StreamOptions = {},
  ) {
    super();
    this.reconnect = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
      factor: options.reconnect?.factor ?? 2,
      maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
    };
    this.maxResends = options.maxResends ?? 3;
    this.schedule = options.scheduler ?? defaultScheduler;
    for (const e of options.subscribe ?? []) this.subscriptions.add(e);
    // Nobody listening for 'error' must not crash the process: failures also reject requests.
    this.on('error', () => undefined);
    this.connect();
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Classifies flows; answers arrive in the order of the calls, across reconnects. */
  classify(flows: readonly Flow[]): Promise<StreamClassifyResult> {
    return this.enqueue({ flows }) as Promise<StreamClassifyResult>;
  }

  /** Subscribes (also after every reconnect); resolves with the events now subscribed. */
  async subscribe(events: readonly StreamEventName[]): Promise<string[]> {
    for (const e of events) this.subscriptions.add(e);
    const ack = (await this.enqueue({ subscribe: [...events] })) as { subscribed: string[] };
    return ack.subscribed;
  }

  async unsubscribe(events: readonly StreamEventName[]): Promise<string[]> {
    for (const e of events) this.subscriptions.delete(e);
    const ack = (await this.enqueue({ unsubscribe: [...events] })) as { subscribed: string[] };
    return ack.subscribed;
  }

  /** Resolves when a connection is open (at once if one is). */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.closing) return Promise.reject(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream is closed'));
    return new Promise((resolve, reject) => {
      const onOpen = (): void => {
        this.off('closed', onClosed);
        resolve();
      };
      const onClosed = (): void => {
        this.off('open', onOpen);
        reject(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream closed before it connected'));
      };
      this.once('open', onOpen);
      this.once('closed', onClosed);
    });
  }

  /** Closes for good; unanswered requests fail with M365FC_ERR_CLIENT_CLOSED. */
  close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closing = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    const ws = this.ws;
    this.closedPromise = new Promise<void>((resolve) => {
      const finish = (): void => {
        this.failAll(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream was closed'));
        this.emit('closed');
        resolve();
      };
      if (ws === null || ws.readyState === WebSocket.CLOSED) return finish();
      ws.once('close', finish);
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    });
    return this.closedPromise;
  }

  private enqueue(message: Record<string, unknown>): Promise<unknown> {
    if (this.closing) return Promise.reject(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream is closed'));
    return new Promise((resolve, reject) => {
      const p: Pending = { id: this.nextId++, message, resolve, reject, sends: 0, internal: false, inFlight: false, settled: null };
      this.queue.push(p);
      this.byId.set(p.id, p);
      if (this.connected) this.send(p);
    });
  }

  private send(p: Pending): void {
    p.sends++;
    p.inFlight = true;
    this.ws!.send(JSON.stringify({ id: p.id, ...p.message }));
  }

  private connect(): void {
    const headers: Record<string, string> = this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {};
    const ws = new WebSocket(this.url, { headers });
    this.ws = ws;
    let refused: M365fcClientError | null = null;
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let code: ClientErrorCode = 'M365FC_ERR_CLIENT_BAD_RESPONSE';
        let message = `WebSocket upgrade refused with HTTP ${status}`;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          if (isRecord(body) && typeof body['code'] === 'string') {
            code = body['code'] as ErrorCode;
            if (typeof body['message'] === 'string') message = body['message'];
          }
        } catch {
          // Not JSON: keep the generic code.
        }
        refused = new M365fcClientError(code, message, status);
        ws.terminate();
      });
    });
    ws.on('open', () => {
      this.attempt = 0;
      if (this.subscriptions.size > 0) this.resubscribe();
      for (const p of this.queue) if (p.settled === null && !p.inFlight) this.send(p);
      this.emit('open');
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(textOf(data));
    });
    // 'close' always follows 'error' in ws; all handling is there.
    ws.on('error', () => undefined);
    ws.on('close', (code, reasonBuf) => this.onClose(ws, code, reasonBuf.toString('utf8'), refused));
  }

  /** Subscribes again after a reconnect, ahead of the requests sent again. */
  private resubscribe(): void {
    const noop = (): void => undefined;
    const p: Pending = { id: this.nextId++, message: { subscribe: [...this.subscriptions] }, resolve: noop, reject: noop, sends: 0, internal: true, inFlight: false, settled: null };
    // At the front: its answer comes first, and it must not hold the caller's answers back.
    this.queue.unshift(p);
    this.byId.set(p.id, p);
    this.send(p);
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.emit('error', new M365fcClientError('M365FC_ERR_CLIENT_BAD_RESPONSE', 'The server sent a message that is not JSON'));
      return;
    }
    if (!isRecord(msg)) return;
    if (msg['event'] === 'version') {
      this.emit('version', msg as unknown as StreamVersionEvent);
      return;
    }
    const id = msg['id'];
    const p = typeof id === 'number' ? this.byId.get(id) : undefined;
    const err = isRecord(msg['error']) ? msg['error'] : null;
    if (p === undefined) {
      if (err !== null) this.emit('error', new M365fcClientError(String(err['code']) as ErrorCode, String(err['message'] ?? 'stream error')));
      return;
    }
    this.byId.delete(p.id);
    p.inFlight = false;
    p.settled = err !== null ? { ok: false, error: new M365fcClientError(String(err['code']) as ErrorCode, String(err['message'] ?? 'stream error')) } : { ok: true, value: msg };
    this.flush();
  }

  /** Settles, in the order they were made, the requests at the front that have their answer. */
  private flush(): void {
    while (this.queue.length > 0 && this.queue[0]!.settled !== null) {
      const p = this.queue.shift()!;
      const s = p.settled!;
      if (s.ok) p.resolve(s.value);
      else p.reject(s.error);
    }
  }

  private fail(p: Pending, error: M365fcClientError): void {
    this.byId.delete(p.id);
    p.inFlight = false;
    p.settled = { ok: false, error };
  }

  private failAll(error: M365fcClientError): void {
    for (const p of this.queue) if (p.settled === null) this.fail(p, error);
    this.flush();
  }

  private onClose(ws: WebSocket, code: number, reason: string, refused: M365fcClientError | null): void {
    if (this.ws !== ws) return;
    this.ws = null;
    if (this.closing) return;
    // Refused for a reason a retry cannot fix: fail everything and stop.
    if (refused !== null && (refused.statusCode === 401 || refused.statusCode === 403 || refused.statusCode === 404)) {
      this.emit('error', refused);
      this.emit('disconnect', { code, reason, reconnecting: false });
      this.closing = true;
      this.closedPromise = Promise.resolve();
      this.failAll(refused);
      this.emit('closed');
      return;
    }
    for (const p of this.queue) {
      if (p.settled !== null || !p.inFlight) continue;
      p.inFlight = false;
      if (p.internal) {
        this.byId.delete(p.id);
        p.settled = { ok: true, value: null };
        continue;
      }
      // 1009: the message itself is too large; sending it again would loop.
      if (code === 1009) this.fail(p, new M365fcClientError('M365FC_ERR_SERVE_MESSAGE_TOO_LARGE', 'The server closed the stream: a message was too large'));
      else if (p.sends >= this.maxResends) this.fail(p, new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', `No answer after ${p.sends} sends`));
    }
    this.flush();
    this.attempt++;
    const giveUp = this.attempt > this.reconnect.maxAttempts;
    this.emit('disconnect', { code, reason, reconnecting: !giveUp });
    if (giveUp) {
      this.closing = true;
      this.closedPromise = Promise.resolve();
      this.failAll(refused ?? new M365fcClientError('M365FC_ERR_CLIENT_NETWORK', `Could not reconnect after ${this.attempt - 1} attempts`));
      this.emit('closed');
      return;
    }
    const delayMs = Math.min(this.reconnect.maxDelayMs, this.reconnect.initialDelayMs * this.reconnect.factor ** (this.attempt - 1));
    this.emit('reconnecting', { attempt: this.attempt, delayMs });
    this.cancelTimer = this.schedule(() => {
      this.cancelTimer = null;
      if (!this.closing) this.connect();
    }, delayMs);
  }
}
