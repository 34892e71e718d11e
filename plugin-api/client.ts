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
 * This file is the HTTP client; its errors are in client-errors.ts, the WebSocket stream (which
 * reconnects by itself) in client-stream.ts. Everything is re-exported from here.
 */
import { Pool, type Dispatcher } from 'undici';
import type {
  BatchResponse,
  Classification,
  EndpointsResponse,
  ErrorCode,
  ExplainedClassification,
  Flow,
  VersionInfo,
} from './types.js';
import { isRecord, M365fcClientError, transportError } from './client-errors.js';
import { ClassifierStream, type StreamOptions } from './client-stream.js';

export { CLIENT_ONLY_ERROR_CODES, M365fcClientError, isM365fcClientError, type ClientErrorCode, type ClientOnlyErrorCode } from './client-errors.js';
export { ClassifierStream, type ReconnectOptions, type Scheduler, type StreamEventName, type StreamEvents, type StreamOptions } from './client-stream.js';

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
