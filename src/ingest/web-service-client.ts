import { Agent, request, type Dispatcher } from 'undici';
import { M365Error, isM365Error, type ErrorCode } from '../core/errors.js';
import type { ChangeItems, ChangeRecord, Instance } from '../core/types.js';
import { decodeText } from './decode-text.js';

/**
 * Client of Microsoft's endpoint web service (`/version`, `/endpoints`, `/changes`). Every request
 * carries the installation's `clientrequestid`. Every fault comes back as an M365Error with an
 * M365FC_ERR_UPSTREAM_* code; `details` says which URL and, for 429, how long to wait.
 */

export const DEFAULT_UPSTREAM = 'https://endpoints.office.com';
export const SERVICE_AREAS = ['Common', 'Exchange', 'SharePoint', 'Skype'] as const;

/** What is asked of /endpoints: the same query gives comparable data. */
export interface UpstreamQuery {
  readonly instance: Instance;
  readonly tenantName?: string | undefined;
  readonly noIPv6?: boolean | undefined;
  readonly serviceAreas?: readonly string[] | undefined;
}

export interface WebServiceClientOptions extends UpstreamQuery {
  /** Base URL; default https://endpoints.office.com. */
  readonly baseUrl?: string | undefined;
  /** The installation's GUID (state-store.ts keeps it). */
  readonly clientRequestId: string;
  /** Injected in tests; by default an Agent with the connect timeout below. */
  readonly dispatcher?: Dispatcher | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly headersTimeoutMs?: number | undefined;
  /** Longest silence between two body chunks. */
  readonly bodyTimeoutMs?: number | undefined;
  readonly maxBodyBytes?: number | undefined;
  /** For Retry-After given as an HTTP date. */
  readonly now?: (() => number) | undefined;
  readonly userAgent?: string | undefined;
}

export interface VersionInfo {
  readonly instance: string;
  readonly latest: string;
}

// Microsoft's /changes record shape lives with the other data types: ingest/diff.ts reads it too.
export type { ChangeItems, ChangeRecord };

export interface EndpointsResponse {
  /** The parsed JSON, not yet validated (parse-endpoints.ts does that). */
  readonly data: unknown;
  readonly bytes: number;
  /** The request URL without clientrequestid: it names the query and goes into Snapshot.origin. */
  readonly url: string;
}

/** What the updater needs of a client; tests may pass their own. */
export interface UpstreamClient {
  readonly baseUrl: string;
  readonly query: UpstreamQuery;
  version(signal?: AbortSignal): Promise<VersionInfo>;
  endpoints(signal?: AbortSignal): Promise<EndpointsResponse>;
  changes(sinceVersion: string, signal?: AbortSignal): Promise<ChangeRecord[]>;
  close(): Promise<void>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const VERSION = /^\d{10}$/;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function fail(code: ErrorCode, message: string, details: Record<string, unknown>): M365Error {
  return new M365Error(code, message, details);
}

function redact(url: URL): string {
  const u = new URL(url);
  u.searchParams.delete('clientrequestid');
  return u.toString();
}

/**
 * Retry-After in milliseconds: delay-seconds or an HTTP date (RFC 9110 10.2.3); null when absent
 * or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return null;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/**
 * True when JSON text stops inside a string or an open array/object. Used only after JSON.parse
 * failed, to tell a cut-off body from a malformed one without relying on V8's error messages.
 */
export function looksTruncated(text: string): boolean {
  let depth = 0;
  let inString = false;
  let sawValue = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) depth++;
    else if (c === 0x5d || c === 0x7d) depth--;
    if (c > 0x20) sawValue = true;
  }
  return inString || depth > 0 || !sawValue;
}

function networkError(err: unknown, phase: 'request' | 'body', url: string, signal: AbortSignal | undefined): M365Error {
  if (isM365Error(err)) return err;
  const e = err as { code?: unknown; name?: unknown; message?: unknown };
  const cause = typeof e.code === 'string' ? e.code : typeof e.name === 'string' ? e.name : 'unknown';
  const message = typeof e.message === 'string' ? e.message : String(err);
  const details = { url, phase, cause };
  if (signal?.aborted === true) return fail('M365FC_ERR_UPDATE_STOPPED', `Request to ${url} aborted: ${message}`, details);
  if (TIMEOUT_CODES.has(cause) || cause === 'TimeoutError') {
    return fail('M365FC_ERR_UPSTREAM_TIMEOUT', `No answer in time from ${url} (${cause})`, details);
  }
  if (UNREACHABLE_CODES.has(cause)) return fail('M365FC_ERR_UPSTREAM_UNREACHABLE', `Cannot reach ${url} (${cause})`, details);
  // A connection lost after the headers arrived means the body is incomplete.
  if (phase === 'body') return fail('M365FC_ERR_UPSTREAM_TRUNCATED', `The body from ${url} ended early (${cause}: ${message})`, details);
  return fail('M365FC_ERR_UPSTREAM_RESET', `The connection to ${url} failed (${cause}: ${message})`, details);
}

export class WebServiceClient implements UpstreamClient {
  readonly baseUrl: string;
  readonly query: UpstreamQuery;
  private readonly clientRequestId: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly now: () => number;
  private readonly userAgent: string;
  private closed = false;

  constructor(o: WebServiceClientOptions) {
    if (!GUID.test(o.clientRequestId)) {
      throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `clientrequestid "${o.clientRequestId}" is not a GUID`, { field: 'clientRequestId' });
    }
    const base = new URL(o.baseUrl ?? DEFAULT_UPSTREAM);
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `Upstream URL must be http(s): ${base.toString()}`, { field: 'upstream' });
    }
    this.baseUrl = base.toString().replace(/\/+$/, '');
    this.query = {
      instance: o.instance,
      ...(o.tenantName !== undefined ? { tenantName: o.tenantName } : {}),
      ...(o.noIPv6 === true ? { noIPv6: true } : {}),
      ...(o.serviceAreas !== undefined && o.serviceAreas.length > 0 ? { serviceAreas: [...o.serviceAreas] } : {}),
    };
    this.clientRequestId = o.clientRequestId;
    this.headersTimeoutMs = o.headersTimeoutMs ?? 30_000;
    this.bodyTimeoutMs = o.bodyTimeoutMs ?? 30_000;
    // The Worldwide response is about 80 KB; 16 MiB leaves room and still bounds memory.
    this.maxBodyBytes = o.maxBodyBytes ?? 16 * 1024 * 1024;
    this.now = o.now ?? Date.now;
    this.userAgent = o.userAgent ?? 'm365-flow-classifier';
    if (o.dispatcher) {
      this.dispatcher = o.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Agent({ connect: { timeout: o.connectTimeoutMs ?? 10_000 }, headersTimeout: this.headersTimeoutMs, bodyTimeout: this.bodyTimeoutMs });
      this.ownsDispatcher = true;
    }
  }

  async version(signal?: AbortSignal): Promise<VersionInfo> {
    const { data, url } = await this.getJson(`/version/${this.query.instance}`, {}, signal);
    const o = data as { instance?: unknown; latest?: unknown } | null;
    if (typeof o !== 'object' || o === null || Array.isArray(o) || typeof o.latest !== 'string' || !VERSION.test(o.latest)) {
      throw fail('M365FC_ERR_UPSTREAM_BAD_RESPONSE', `${url} did not answer { instance, latest: "YYYYMMDDNN" }`, { url });
    }
    const instance = typeof o.instance === 'string' ? o.instance : this.query.instance;
    if (instance.toLowerCase() !== this.query.instance.toLowerCase()) {
      throw fail('M365FC_ERR_UPSTREAM_BAD_RESPONSE', `${url} answered for instance ${instance}`, { url, instance });
    }
    return { instance, latest: o.latest };
  }

  async endpoints(signal?: AbortSignal): Promise<EndpointsResponse> {
    const q = this.query;
    const params: Record<string, string> = {};
    if (q.tenantName !== undefined) params['TenantName'] = q.tenantName;
    if (q.noIPv6 === true) params['NoIPv6'] = 'true';
    if (q.serviceAreas !== undefined && q.serviceAreas.length > 0) params['ServiceAreas'] = q.serviceAreas.join(',');
    const r = await this.getJson(`/endpoints/${q.instance}`, params, signal);
    return { data: r.data, bytes: r.bytes, url: r.url };
  }

  async changes(sinceVersion: string, signal?: AbortSignal): Promise<ChangeRecord[]> {
    if (!VERSION.test(sinceVersion)) {
      throw new M365Error('M365FC_ERR_INGEST_BAD_VERSION', `Version "${sinceVersion}" is not of the form YYYYMMDDNN`, { value: sinceVersion });
    }
    const { data, url } = await this.getJson(`/changes/${this.query.instance}/${sinceVersion}`, {}, signal);
    if (!Array.isArray(data)) throw fail('M365FC_ERR_UPSTREAM_BAD_RESPONSE', `${url} did not answer a JSON array`, { url });
    // Enrichment only: a record without the documented core fields is skipped, not fatal.
    return data.flatMap((r) => {
      const c = toChangeRecord(r);
      return c ? [c] : [];
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async getJson(path: string, params: Record<string, string>, signal: AbortSignal | undefined): Promise<{ data: unknown; bytes: number; url: string }> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    url.searchParams.set('clientrequestid', this.clientRequestId);
    const shown = redact(url);
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: 'GET',
        dispatcher: this.dispatcher,
        headersTimeout: this.headersTimeoutMs,
        bodyTimeout: this.bodyTimeoutMs,
        headers: { accept: 'application/json', 'user-agent': this.userAgent },
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw networkError(err, 'request', shown, signal);
    }
    const { statusCode, headers, body } = res;
    if (statusCode !== 200) {
      body.dump().catch(() => undefined);
      const details = { url: shown, status: statusCode };
      if (statusCode === 429) {
        const retryAfterMs = parseRetryAfter(headers['retry-after'], this.now());
        throw fail('M365FC_ERR_UPSTREAM_RATE_LIMITED', `${shown} answered 429`, { ...details, retryAfterMs });
      }
      if (statusCode >= 500) throw fail('M365FC_ERR_UPSTREAM_SERVER_ERROR', `${shown} answered ${statusCode}`, details);
      throw fail('M365FC_ERR_UPSTREAM_HTTP_STATUS', `${shown} answered ${statusCode}`, details);
    }
    const type = headers['content-type'];
    const typeText = Array.isArray(type) ? (type[0] ?? '') : (type ?? '');
    if (!JSON_TYPE.test(typeText)) {
      body.dump().catch(() => undefined);
      throw fail('M365FC_ERR_UPSTREAM_CONTENT_TYPE', `${shown} answered content type "${typeText}", not JSON`, { url: shown, contentType: typeText });
    }
    const bytes = await this.readBody(body, shown, signal);
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared !== bytes.length) {
      throw fail('M365FC_ERR_UPSTREAM_TRUNCATED', `${shown} sent ${bytes.length} of ${declared} bytes`, { url: shown, received: bytes.length, declared });
    }
    let text: string;
    try {
      text = decodeText(bytes);
    } catch (err) {
      throw fail('M365FC_ERR_UPSTREAM_BAD_JSON', `${shown} sent text that is not UTF-8 or UTF-16`, { url: shown, cause: (err as Error).message });
    }
    try {
      return { data: JSON.parse(text) as unknown, bytes: bytes.length, url: shown };
    } catch (err) {
      const code = looksTruncated(text) ? 'M365FC_ERR_UPSTREAM_TRUNCATED' : 'M365FC_ERR_UPSTREAM_BAD_JSON';
      throw fail(code, `${shown} sent ${bytes.length} bytes that do not parse as JSON: ${(err as Error).message}`, { url: shown, bytes: bytes.length });
    }
  }

  private async readBody(body: Dispatcher.ResponseData['body'], url: string, signal: AbortSignal | undefined): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        const b = chunk as Buffer;
        size += b.length;
        if (size > this.maxBodyBytes) {
          body.destroy();
          throw fail('M365FC_ERR_UPSTREAM_TOO_LARGE', `${url} sent more than ${this.maxBodyBytes} bytes`, { url, limit: this.maxBodyBytes });
        }
        chunks.push(b);
      }
    } catch (err) {
      throw networkError(err, 'body', url, signal);
    }
    return Buffer.concat(chunks, size);
  }
}

function toChangeRecord(r: unknown): ChangeRecord | null {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return null;
  const o = r as Record<string, unknown>;
  const { id, endpointSetId, disposition, impact, version } = o;
  if (typeof id !== 'number' || typeof endpointSetId !== 'number' || typeof disposition !== 'string' || typeof version !== 'string') return null;
  const items = (v: unknown): ChangeItems | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    const x = v as Record<string, unknown>;
    const strings = (a: unknown): string[] | undefined => (Array.isArray(a) ? a.filter((s): s is string => typeof s === 'string') : undefined);
    const ips = strings(x['ips']);
    const urls = strings(x['urls']);
    return {
      ...(typeof x['effectiveDate'] === 'string' ? { effectiveDate: x['effectiveDate'] } : {}),
      ...(ips ? { ips } : {}),
      ...(urls ? { urls } : {}),
    };
  };
  const record = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const add = items(o['add']);
  const remove = items(o['remove']);
  const previous = record(o['previous']);
  const current = record(o['current']);
  return {
    id,
    endpointSetId,
    disposition,
    impact: typeof impact === 'string' ? impact : null,
    version,
    ...(previous ? { previous } : {}),
    ...(current ? { current } : {}),
    ...(add ? { add } : {}),
    ...(remove ? { remove } : {}),
  };
}
