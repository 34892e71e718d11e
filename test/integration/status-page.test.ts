/**
 * GET / (the status page) and GET /v1/stats in-process with app.inject(): the page is served
 * without a token and locked down by its CSP; the stats follow the lookups, the data, the updater
 * and the changes, and every answer matches openapi.yaml. (What a person sees in a browser:
 * test/browser/status-page.browser.test.ts.)
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createClassifier } from '../../src/index.js';
import { buildApp } from '../../src/serve/app.js';
import { LiveIndex, type ChangeRecord } from '../../src/follow/live-index.js';
import { readRealResponse } from '../support/data.js';
import { expectResponse } from '../support/openapi.js';

const NOW = Date.parse('2026-11-02T10:00:00Z');
const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function liveWithData(): LiveIndex {
  const live = new LiveIndex({ clock: { now: () => NOW } });
  const c = createClassifier(readRealResponse('worldwide-commit20200531.json'), { version: '2020053100' });
  live.publish(c, { source: 'live', fetchedAt: '2026-11-01T10:00:00.000Z' });
  return live;
}

function app(live: LiveIndex, tokens: string[] | null = null): FastifyInstance {
  const a = buildApp({ liveIndex: live, tokens, defaultMetrics: false, underPressure: false, clock: { now: () => NOW } });
  apps.push(a);
  return a;
}

async function stats(a: FastifyInstance, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const r = await a.inject({ url: '/v1/stats', headers });
  expect(r.statusCode).toBe(200);
  const body = r.json<Record<string, unknown>>();
  expectResponse('/v1/stats', 'GET', 200, body);
  return body;
}

describe('GET /', () => {
  it('serves the page with no token, no caching, and a CSP that pins its own script and style', async () => {
    const a = app(liveWithData(), ['secret']);
    const r = await a.inject({ url: '/' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    for (const id of ['rates', 'data', 'updater', 'classify', 'answer', 'changes']) expect(r.body).toContain(`id="${id}"`);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const script = /<script>([\s\S]*)<\/script>/.exec(r.body)![1]!;
    const style = /<style>([\s\S]*)<\/style>/.exec(r.body)![1]!;
    expect(csp).toContain(`'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
  });
});

describe('GET /v1/stats', () => {
  it('says which data is in use, how old it is and where it came from', async () => {
    const s = await stats(app(liveWithData()));
    expect(s['at']).toBe('2026-11-02T10:00:00.000Z');
    expect(s['data']).toEqual({
      version: '2020053100',
      instance: 'Worldwide',
      source: 'live',
      fetchedAt: '2026-11-01T10:00:00.000Z',
      loadedAt: '2026-11-02T10:00:00.000Z',
      ageSeconds: 86_400,
      sets: expect.any(Number),
      precedence: 'specific-first',
      tenant: null,
    });
    expect(s['updater']).toBeNull();
    expect(s['recentChanges']).toEqual([]);
  });

  it('counts lookups by outcome over GET, POST and errors, as /metrics does', async () => {
    const a = app(liveWithData());
    const before = (await stats(a))['lookups'];
    expect(before).toEqual({ Optimize: 0, Allow: 0, Default: 0, none: 0, error: 0 });
    await a.inject({ url: '/v1/classify?host=outlook.office.com&port=443&protocol=tcp' });
    await a.inject({ url: '/v1/classify?ip=8.8.8.8' });
    await a.inject({ url: '/v1/classify?ip=999.1.1.1' });
    await a.inject({
      method: 'POST',
      url: '/v1/classify',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ flows: [{ host: 'outlook.office.com' }, { host: 'www.example.com' }, { ip: 'x' }] }),
    });
    expect((await stats(a))['lookups']).toEqual({ Optimize: 2, Allow: 0, Default: 0, none: 2, error: 2 });
    const metrics = (await a.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/m365fc_lookups_total\{route="get",category="Optimize"\} 1/);
    expect(metrics).toMatch(/m365fc_lookups_total\{route="post",category="Optimize"\} 1/);
  });

  it('shows the updater status and the last ten changes, newest first', async () => {
    const live = liveWithData();
    const status = { lastAttempt: '2026-11-02T09:59:00.000Z', lastSuccess: '2026-11-02T09:00:00.000Z', lastErrorCode: 'M365FC_ERR_UPSTREAM_TIMEOUT', consecutiveFailures: 1, stale: false, nextCheck: '2026-11-02T10:59:00.000Z' };
    const changes: ChangeRecord[] = Array.from({ length: 12 }, (_, i) => ({
      version: `20261${String(i).padStart(2, '0')}0100`.slice(0, 10),
      previousVersion: null,
      publishedAt: '2026-11-02T09:00:00.000Z',
      totals: { setsAdded: i, setsRemoved: 0, setsChanged: 1, ipsAdded: 2, ipsRemoved: 0, urlsAdded: 1, urlsRemoved: 0 },
    }));
    live.attach({ updaterStatus: () => status, changes: () => changes, refresh: null });
    const s = await stats(app(live));
    expect(s['updater']).toEqual(status);
    const recent = s['recentChanges'] as ChangeRecord[];
    expect(recent).toHaveLength(10);
    expect(recent[0]).toEqual(changes[11]);
    expect(recent[9]).toEqual(changes[2]);
  });

  it('answers before any index is loaded, with data null', async () => {
    const s = await stats(app(new LiveIndex({ clock: { now: () => NOW } })));
    expect(s['data']).toBeNull();
  });

  it('needs a token when the server has tokens, as the lookup routes do', async () => {
    const a = app(liveWithData(), ['secret']);
    const r = await a.inject({ url: '/v1/stats' });
    expect(r.statusCode).toBe(401);
    expectResponse('/v1/stats', 'GET', 401, r.json());
    await stats(a, { authorization: 'Bearer secret' });
  });
});
