import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createClassifier, parseEndpointsResponse } from '../../../src/index.js';
import { buildApp } from '../../../src/serve/app.js';
import { LiveIndex } from '../../../src/follow/live-index.js';
import { etagMatches, exportRoutes } from '../../../src/serve/routes/export.js';
import { readRealResponseText } from '../../support/data.js';

const snapshot = (file: 'worldwide-commit20200531.json' | 'worldwide-commit20191124.json', version: string) =>
  parseEndpointsResponse(readRealResponseText(file), { version });

describe('GET /v1/export/:name', () => {
  const live = new LiveIndex();
  let app: FastifyInstance;
  beforeAll(async () => {
    live.publish(createClassifier(snapshot('worldwide-commit20200531.json', '2020042800')), { source: 'file' });
    app = buildApp({ liveIndex: live, defaultMetrics: false, underPressure: false, tenant: 'contoso' });
    if (!app.hasRoute({ method: 'GET', url: '/v1/export/:name' })) exportRoutes(app, { live, tenant: 'contoso' });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  const PAC = '/v1/export/pac?proxy=PROXY%20proxy:8080&type=2';

  it('answers the file with its content type, an ETag of the data version, and no-cache', async () => {
    const r = await app.inject({ method: 'GET', url: PAC });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-ns-proxy-autoconfig');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['etag']).toMatch(/^"2020042800-[A-Za-z0-9_-]{22}"$/);
    // The server's tenant is the default of the tenant option.
    expect(r.body).toContain('tenant contoso');
    expect(r.body).toContain('"contoso.sharepoint.com": 1');
  });

  it('answers 304 to If-None-Match with the ETag (also in a list, also weak), 200 otherwise', async () => {
    const etag = (await app.inject({ method: 'GET', url: PAC })).headers['etag'] as string;
    for (const h of [etag, `"x", ${etag}`, `W/${etag}`, '*']) {
      const r = await app.inject({ method: 'GET', url: PAC, headers: { 'if-none-match': h } });
      expect([h, r.statusCode, r.body]).toEqual([h, 304, '']);
      expect(r.headers['etag']).toBe(etag);
    }
    expect((await app.inject({ method: 'GET', url: PAC, headers: { 'if-none-match': '"other"' } })).statusCode).toBe(200);
    // Other options (order of parameters aside): another ETag.
    const same = await app.inject({ method: 'GET', url: '/v1/export/pac?type=2&proxy=PROXY%20proxy:8080' });
    expect(same.headers['etag']).toBe(etag);
    const other = await app.inject({ method: 'GET', url: '/v1/export/pac?type=1&proxy=PROXY%20proxy:8080' });
    expect(other.headers['etag']).not.toBe(etag);
  });

  it('changes the ETag and the file when the data changes', async () => {
    const before = await app.inject({ method: 'GET', url: '/v1/export/list?family=url' });
    live.publish(createClassifier(snapshot('worldwide-commit20191124.json', '2019102800')), { source: 'live' });
    const after = await app.inject({ method: 'GET', url: '/v1/export/list?family=url', headers: { 'if-none-match': before.headers['etag'] as string } });
    expect(after.statusCode).toBe(200);
    expect(after.headers['etag']).toMatch(/^"2019102800-/);
    expect(after.body).not.toBe(before.body);
  });

  it('answers coded errors: unknown exporter 404, bad option 400', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/v1/export/nope' });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'M365FC_ERR_EXPORT_UNKNOWN']);
    const bad = await app.inject({ method: 'GET', url: '/v1/export/pac' });
    expect([bad.statusCode, bad.json().code]).toEqual([400, 'M365FC_ERR_EXPORT_BAD_OPTION']);
    const extra = await app.inject({ method: 'GET', url: '/v1/export/list?colour=red' });
    expect([extra.statusCode, extra.json().code]).toEqual([400, 'M365FC_ERR_EXPORT_BAD_OPTION']);
  });

  it('etagMatches', () => {
    expect(etagMatches(undefined, '"a"')).toBe(false);
    expect(etagMatches('"b" , W/"a"', '"a"')).toBe(true);
    expect(etagMatches('"ab"', '"a"')).toBe(false);
  });
});
