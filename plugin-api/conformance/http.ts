import { Pool } from 'undici';

/** One answer of the target, or the network error that took its place (status 0). */
export interface HttpAnswer {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The parsed body when it is JSON, else undefined. */
  readonly body: unknown;
  readonly ms: number;
  /** The network error's code or message when no answer came. */
  readonly error?: string;
}

export interface RequestOptions {
  /** Query as pairs (encoded here) or as raw text after `?` (sent as is). */
  readonly query?: Readonly<Record<string, string>> | string;
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  /** Send the bearer token (default true). */
  readonly auth?: boolean;
  readonly headers?: Readonly<Record<string, string>>;
}

function headerText(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** A small HTTP client for the target: one keep-alive pool, bearer token, timeouts. */
export class TargetHttp {
  readonly origin: string;
  readonly basePath: string;
  /** Every answer, for contract.responses to validate against openapi.yaml. */
  readonly answers: HttpAnswer[] = [];
  private readonly pool: Pool;

  constructor(
    target: string,
    private readonly token: string | undefined,
    private readonly timeoutMs: number,
    connections = 4,
  ) {
    const url = new URL(target);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, { connections, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  }

  /** Path under the target's base path, e.g. `/v1/classify` → `/api/v1/classify`. */
  pathOf(path: string): string {
    return `${this.basePath}${path}`;
  }

  authHeaders(auth = true): Record<string, string> {
    return auth && this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {};
  }

  async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, o: RequestOptions = {}): Promise<HttpAnswer> {
    const q = o.query === undefined ? '' : typeof o.query === 'string' ? `?${o.query}` : `?${new URLSearchParams(o.query).toString()}`;
    const fullPath = `${this.pathOf(path)}${q === '?' ? '' : q}`;
    const headers: Record<string, string> = { ...this.authHeaders(o.auth ?? true), ...o.headers };
    if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const t0 = performance.now();
    try {
      const res = await this.pool.request({
        origin: this.origin,
        method,
        path: fullPath,
        headers,
        ...(o.body !== undefined ? { body: o.body } : {}),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      const contentType = headerText(res.headers['content-type']);
      let body: unknown;
      if (contentType.includes('json') || /^\s*[[{]/.test(text)) {
        try {
          body = JSON.parse(text) as unknown;
        } catch {
          body = undefined;
        }
      }
      const flat: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) flat[k] = headerText(v);
      const answer = { method, path: fullPath, status: res.statusCode, contentType, headers: flat, text, body, ms: performance.now() - t0 };
      this.answers.push(answer);
      return answer;
    } catch (err) {
      const e = err as { code?: unknown; message?: unknown };
      const error = typeof e.code === 'string' ? e.code : String(e.message ?? err);
      return { method, path: fullPath, status: 0, contentType: '', headers: {}, text: '', body: undefined, ms: performance.now() - t0, error };
    }
  }

  get(path: string, o: RequestOptions = {}): Promise<HttpAnswer> {
    return this.request('GET', path, o);
  }

  post(path: string, body: unknown, o: RequestOptions = {}): Promise<HttpAnswer> {
    return this.request('POST', path, { ...o, body: typeof body === 'string' ? body : JSON.stringify(body) });
  }

  async close(): Promise<void> {
    await this.pool.close().catch(() => undefined);
  }
}

/** A flow as the query of `GET /v1/classify`. */
export function flowQuery(flow: { ip?: string; host?: string; port?: number | string; protocol?: string }): Record<string, string> {
  const q: Record<string, string> = {};
  if (flow.ip !== undefined) q['ip'] = flow.ip;
  if (flow.host !== undefined) q['host'] = flow.host;
  if (flow.port !== undefined) q['port'] = String(flow.port);
  if (flow.protocol !== undefined) q['protocol'] = flow.protocol;
  return q;
}

/** `GET /x?y` as a person reads it in a report. */
export function describe(a: Pick<HttpAnswer, 'method' | 'path'>): string {
  const p = a.path.length > 160 ? `${a.path.slice(0, 157)}...` : a.path;
  return `${a.method} ${p}`;
}

/** What came back, in a few words. */
export function outcome(a: HttpAnswer): string {
  if (a.status === 0) return `no answer (${a.error ?? 'error'})`;
  const code = codeOf(a.body);
  return code === undefined ? `${a.status}` : `${a.status} ${code}`;
}

export function codeOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as { code?: unknown; error?: unknown };
  if (typeof b.code === 'string') return b.code;
  if (typeof b.error === 'object' && b.error !== null && typeof (b.error as { code?: unknown }).code === 'string') {
    return (b.error as { code: string }).code;
  }
  return undefined;
}
