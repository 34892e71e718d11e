import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { readRealResponseText, type RealResponse } from './data.js';

/**
 * A fake of Microsoft's endpoint web service on 127.0.0.1 (port 0) for fault tests. It serves the
 * real responses from test/fixtures/m365-data as successive versions, honours NoIPv6 and ServiceAreas
 * the way the real service does, answers /changes from the differences between its versions,
 * refuses a request without a GUID clientrequestid (400), and injects faults on command.
 */

/** The real responses as the versions they most likely were (see PROVENANCE.md). */
export const REAL_VERSIONS: ReadonlyArray<{ readonly version: string; readonly file: RealResponse }> = [
  { version: '2019010700', file: 'worldwide-commit20190109.json' },
  { version: '2019102800', file: 'worldwide-commit20191124.json' },
  { version: '2020042800', file: 'worldwide-commit20200531.json' },
  // Version unknown: the content dates it 2025 or later (PROVENANCE.md).
  { version: '2025063000', file: 'worldwide-noipv6-undated-cloudips-f6739cb.json' },
];

export type Fault =
  /** Accepts the request and never answers. */
  | { readonly kind: 'timeout' }
  /** Destroys the connection before any answer. */
  | { readonly kind: 'reset' }
  | { readonly kind: 'status'; readonly status: number }
  | { readonly kind: 'rate-limit'; readonly retryAfter?: string }
  /** Declares the full Content-Length, sends half the body, closes the connection. */
  | { readonly kind: 'truncated' }
  /** A complete HTTP answer whose JSON text stops half way. */
  | { readonly kind: 'truncated-json' }
  | { readonly kind: 'malformed' }
  /** A captive portal's HTML page with status 200. */
  | { readonly kind: 'content-type'; readonly type?: string };

export type Route = 'version' | 'endpoints' | 'changes';

export interface SeenRequest {
  readonly route: Route;
  readonly url: string;
  readonly query: Readonly<Record<string, string>>;
  readonly clientrequestid: string | undefined;
  readonly fault: Fault['kind'] | null;
}

interface Rule {
  readonly fault: Fault;
  readonly on: Route | 'any';
  remaining: number;
}

interface Version {
  readonly version: string;
  /** The endpoint sets as JSON values, exactly as the file holds them. */
  readonly sets: ReadonlyArray<Record<string, unknown>>;
  /** The file's text, served unchanged when no filter applies. */
  readonly text: string | null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface FakeUpstreamOptions {
  /** Versions to serve, oldest first; default the four real ones. */
  readonly versions?: ReadonlyArray<{ readonly version: string; readonly file: RealResponse }>;
  /** Index into versions of the one /version reports first; default 0. */
  readonly latest?: number;
}

export class FakeUpstream {
  readonly app: FastifyInstance;
  readonly requests: SeenRequest[] = [];
  url = '';
  private readonly versions: Version[] = [];
  private latestIndex: number;
  private versionOverride: string | null = null;
  private rules: Rule[] = [];

  private constructor(o: FakeUpstreamOptions) {
    for (const v of o.versions ?? REAL_VERSIONS) {
      const text = readRealResponseText(v.file);
      this.versions.push({ version: v.version, sets: JSON.parse(text) as Array<Record<string, unknown>>, text });
    }
    this.latestIndex = o.latest ?? 0;
    this.app = Fastify({ logger: false, forceCloseConnections: true });
    this.app.get('/version/:instance', (req, reply) => this.handle('version', req, reply));
    this.app.get('/endpoints/:instance', (req, reply) => this.handle('endpoints', req, reply));
    this.app.get('/changes/:instance/:version', (req, reply) => this.handle('changes', req, reply));
  }

  static async start(o: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
    const f = new FakeUpstream(o);
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    const addr = f.app.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('fake upstream: no port');
    f.url = `http://127.0.0.1:${addr.port}`;
    return f;
  }

  async close(): Promise<void> {
    await this.app.close();
  }

  get latest(): string {
    return this.versionOverride ?? this.current().version;
  }

  /** Makes /version report the next version; returns it. */
  advance(): string {
    if (this.latestIndex + 1 >= this.versions.length) throw new Error('fake upstream: no newer version');
    this.latestIndex++;
    return this.latest;
  }

  /** Serves the given version (by index or version string) from now on. */
  serve(which: number | string): string {
    const i = typeof which === 'number' ? which : this.versions.findIndex((v) => v.version === which);
    if (i < 0 || i >= this.versions.length) throw new Error(`fake upstream: no version ${which}`);
    this.latestIndex = i;
    this.versionOverride = null;
    return this.latest;
  }

  /** Adds a version built from endpoint sets (a synthetic shrink, say) and serves it. */
  publish(version: string, sets: ReadonlyArray<Record<string, unknown>>): string {
    this.versions.push({ version, sets, text: null });
    return this.serve(this.versions.length - 1);
  }

  /** /version reports this version (one that goes backwards, say) while /endpoints serves the current data. */
  reportVersion(version: string | null): void {
    this.versionOverride = version;
  }

  /** The endpoint sets of a served version, for building synthetic ones. */
  setsOf(which: number | string): ReadonlyArray<Record<string, unknown>> {
    const v = typeof which === 'number' ? this.versions[which] : this.versions.find((x) => x.version === which);
    if (!v) throw new Error(`fake upstream: no version ${which}`);
    return v.sets;
  }

  /** The next `times` requests to `on` meet `fault`. */
  inject(fault: Fault, o: { on?: Route | 'any'; times?: number } = {}): void {
    this.rules.push({ fault, on: o.on ?? 'any', remaining: o.times ?? 1 });
  }

  clearFaults(): void {
    this.rules = [];
  }

  count(route?: Route): number {
    return this.requests.filter((r) => route === undefined || r.route === route).length;
  }

  private current(): Version {
    return this.versions[this.latestIndex] as Version;
  }

  private takeFault(route: Route): Fault | null {
    const rule = this.rules.find((r) => r.remaining > 0 && (r.on === 'any' || r.on === route));
    if (!rule) return null;
    rule.remaining--;
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return rule.fault;
  }

  private async handle(route: Route, req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = req.query as Record<string, string>;
    const id = query['clientrequestid'];
    const fault = this.takeFault(route);
    this.requests.push({ route, url: req.url, query: { ...query }, clientrequestid: id, fault: fault?.kind ?? null });
    if (id === undefined || !GUID.test(id)) {
      await reply.code(400).send({ error: 'clientrequestid must be a GUID' });
      return;
    }
    const body = this.body(route, req, query);
    if (fault) {
      await this.fail(fault, body, reply);
      return;
    }
    await reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private body(route: Route, req: FastifyRequest, query: Record<string, string>): string {
    const params = req.params as { instance: string; version?: string };
    if (route === 'version') return JSON.stringify({ instance: params.instance, latest: this.latest });
    if (route === 'changes') return JSON.stringify(this.changesSince(params.version ?? '0000000000'));
    const v = this.current();
    const noIPv6 = query['NoIPv6']?.toLowerCase() === 'true';
    const areas = query['ServiceAreas']?.split(',').map((a) => a.trim().toLowerCase());
    if (v.text !== null && !noIPv6 && areas === undefined) return v.text;
    const sets = v.sets
      .filter((s) => areas === undefined || areas.includes(String(s['serviceArea']).toLowerCase()))
      .map((s) => {
        if (!noIPv6 || !Array.isArray(s['ips'])) return s;
        const ips = (s['ips'] as string[]).filter((ip) => !ip.includes(':'));
        const { ips: _drop, ...rest } = s;
        return ips.length > 0 ? { ...rest, ips } : rest;
      });
    return JSON.stringify(sets);
  }

  /** Change records from `since` to the served version, one per set that changed, as Microsoft shapes them. */
  private changesSince(since: string): unknown[] {
    const out: unknown[] = [];
    let id = 1;
    for (let i = 1; i <= this.latestIndex; i++) {
      const prev = this.versions[i - 1] as Version;
      const cur = this.versions[i] as Version;
      if (cur.version <= since) continue;
      const effectiveDate = `${cur.version.slice(0, 4)}-${cur.version.slice(4, 6)}-${cur.version.slice(6, 8)}T00:00:00`;
      const before = new Map(prev.sets.map((s) => [s['id'] as number, s]));
      const after = new Map(cur.sets.map((s) => [s['id'] as number, s]));
      const list = (s: Record<string, unknown> | undefined, k: string): string[] => (Array.isArray(s?.[k]) ? (s[k] as string[]) : []);
      for (const setId of new Set([...before.keys(), ...after.keys()])) {
        const a = before.get(setId);
        const b = after.get(setId);
        const ipsAdded = list(b, 'ips').filter((x) => !list(a, 'ips').includes(x));
        const ipsRemoved = list(a, 'ips').filter((x) => !list(b, 'ips').includes(x));
        const urlsAdded = list(b, 'urls').filter((x) => !list(a, 'urls').includes(x));
        const urlsRemoved = list(a, 'urls').filter((x) => !list(b, 'urls').includes(x));
        const disposition = !a ? 'Add' : !b ? 'Remove' : 'Change';
        if (disposition === 'Change' && ipsAdded.length + ipsRemoved.length + urlsAdded.length + urlsRemoved.length === 0) continue;
        const impact = ipsAdded.length ? 'AddedIp' : urlsAdded.length ? 'AddedUrl' : 'RemovedIpOrUrl';
        out.push({
          id: id++,
          endpointSetId: setId,
          disposition,
          impact,
          version: cur.version,
          ...(ipsAdded.length || urlsAdded.length ? { add: { effectiveDate, ips: ipsAdded, urls: urlsAdded } } : {}),
          ...(ipsRemoved.length || urlsRemoved.length ? { remove: { ips: ipsRemoved, urls: urlsRemoved } } : {}),
        });
      }
    }
    return out;
  }

  private async fail(fault: Fault, body: string, reply: FastifyReply): Promise<void> {
    switch (fault.kind) {
      case 'timeout':
        // Never answered; the client's headers timeout ends it, close() destroys the socket.
        reply.hijack();
        return;
      case 'reset':
        reply.hijack();
        reply.raw.socket?.destroy();
        return;
      case 'status':
        await reply.code(fault.status).header('content-type', 'application/json').send({ error: 'injected' });
        return;
      case 'rate-limit': {
        const r = reply.code(429).header('content-type', 'application/json');
        if (fault.retryAfter !== undefined) r.header('retry-after', fault.retryAfter);
        await r.send({ error: 'Too many requests' });
        return;
      }
      case 'truncated': {
        reply.hijack();
        const bytes = Buffer.from(body, 'utf8');
        const res = reply.raw;
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(bytes.length) });
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
        return;
      }
      case 'truncated-json':
        await reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body.slice(0, Math.floor(body.length / 2)));
        return;
      case 'malformed':
        await reply.code(200).header('content-type', 'application/json; charset=utf-8').send(body.replace(':', '::'));
        return;
      case 'content-type':
        await reply
          .code(200)
          .header('content-type', fault.type ?? 'text/html; charset=utf-8')
          .send('<html><body>Please sign in to the guest network</body></html>');
        return;
    }
  }
}
