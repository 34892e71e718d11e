import { Agent, request, type Dispatcher } from 'undici';
import { systemClock, type Clock } from '../core/clock.js';
import { M365Error } from '../core/errors.js';
import { toChangeRecord, type ChangeRecord } from '../ingest/change-records.js';
import { decodeText } from '../ingest/decode-text.js';
import type { UpstreamQuery } from './query.js';
import { fail, looksTruncated, networkError, parseRetryAfter, redact } from './upstream-faults.js';

export type { UpstreamQuery } from './query.js';
export type { ChangeRecord } from '../ingest/change-records.js';

/**
 * Client of Microsoft's endpoint web service (`/version`, `/endpoints`, `/changes`). Every request
 * carries the installation's `clientrequestid`. Every fault comes back as an M365Error with an
 * M365FC_ERR_UPSTREAM_* code (upstream-faults.ts).
 */

export const DEFAULT_UPSTREAM = 'https://endpoints.office.com';
export const SERVICE_AREAS = ['Common', 'Exchange', 'SharePoint', 'Skype'] as const;

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
  readonly clock?: Clock | undefined;
  readonly userAgent?: string | undefined;
}

export interface VersionInfo {
  readonly instance: string;
  readonly latest: string;
}

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

export class WebServiceClient implements UpstreamClient {
  readonly baseUrl: string;
  readonly query: UpstreamQuery;
  private readonly clientRequestId: string;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly clock: Clock;
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
    this.clock = o.clock ?? systemClock;
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
        const retryAfterMs = parseRetryAfter(headers['retry-after'], this.clock.now());
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
