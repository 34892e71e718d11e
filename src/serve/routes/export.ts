import type { FastifyInstance } from 'fastify';
import type { PluginRegistry, RenderedFile } from '../../../plugin-api/plugin.js';
import { createExportRegistry } from '../../export/builtins.js';
import { prepareExport } from '../../export/export-file.js';
import type { Classifier } from '../../match/classifier.js';
import type { LiveIndex } from '../../follow/live-index.js';
import { sendError } from '../reply.js';

/**
 * GET /v1/export/:name — a file rendered by an exporter plugin from the data in use. Query
 * parameters are the exporter's options. The ETag covers the exporter, the data and the options,
 * so `If-None-Match` is answered 304 without rendering; rendered files are kept per index (a
 * PAC file fetched by every browser is rendered once per data version and option set).
 * Coded errors (unknown exporter 404, bad option 400) reach the app's error handler as thrown.
 */

export interface ExportRouteOptions {
  readonly live: LiveIndex;
  /** The server's tenant: the default of an exporter's `tenant` option when the query has none. */
  readonly tenant?: string | null;
  /** Defaults to the built-in exporters. */
  readonly registry?: PluginRegistry;
}

/** Rendered files per index: at most this many option sets each. */
const CACHE_ENTRIES = 32;

/** True when an If-None-Match header lists `etag` (weak comparison) or is `*`. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const bare = (t: string): string => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === etag);
}

export function exportRoutes(app: FastifyInstance, options: ExportRouteOptions): void {
  const registry = options.registry ?? createExportRegistry();
  const rendered = new WeakMap<Classifier, Map<string, Promise<RenderedFile>>>();

  const renderOnce = (c: Classifier, etag: string, render: () => Promise<RenderedFile>): Promise<RenderedFile> => {
    let cache = rendered.get(c);
    if (cache === undefined) rendered.set(c, (cache = new Map()));
    let body = cache.get(etag);
    if (body === undefined) {
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      body = render();
      cache.set(etag, body);
      // A failed render is not kept: the next request tries again.
      body.catch(() => cache.delete(etag));
    }
    return body;
  };

  app.get<{ Params: { name: string }; Querystring: Record<string, string | string[]> }>(
    '/v1/export/:name',
    { config: { auth: 'lookup' } },
    async (req, reply) => {
      const c = options.live.current;
      if (c === null) return sendError(reply, 'M365FC_ERR_SERVE_NOT_READY');
      const { name } = req.params;
      const raw: Record<string, unknown> = { ...req.query };
      const tenant = options.tenant ?? null;
      if (tenant !== null && registry.has(name) && raw['tenant'] === undefined && registry.get(name).optionsSchema.properties?.['tenant'] !== undefined) {
        raw['tenant'] = tenant;
      }
      const prepared = prepareExport(registry, name, c.snapshot, raw);
      // no-cache: caches may keep the file but must revalidate, which costs a 304.
      reply.header('etag', prepared.etag).header('cache-control', 'no-cache');
      if (etagMatches(req.headers['if-none-match'], prepared.etag)) return reply.code(304).send();
      const body = await renderOnce(c, prepared.etag, prepared.render);
      // Bytes (mmdb) go out as a Buffer: fastify sends it as is.
      return reply.header('content-type', prepared.contentType).send(typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    },
  );
}
