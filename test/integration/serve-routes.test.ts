import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createClassifier, readDataFile, type Classifier } from '../../src/index.js';
import { isFlowError } from '../../src/core/types.js';
import type { ChangeRecord, UpdaterStatus } from '../../src/follow/live-index.js';
import type { RunningServer } from '../../src/serve/server.js';
import { realResponsePath } from '../support/data.js';
import { expectResponse, OPENAPI_TEXT } from '../support/openapi.js';
import { BAD_FLOWS, call, query, sampleFlows, startTestServer } from './helpers.js';

/** Every route over real HTTP, every answer validated against openapi.yaml and equal to the engine's. */

let server: RunningServer;
let pool: Pool;
let engine: Classifier;

beforeAll(async () => {
  server = await startTestServer();
  pool = new Pool(server.url, { connections: 4 });
  engine = server.liveIndex.current!;
});

afterAll(async () => {
  await pool.close();
  await server.close();
});

describe('GET /v1/classify', () => {
  it('answers every sample flow as the engine does', async () => {
    const flows = sampleFlows(engine.snapshot);
    expect(flows.length).toBeGreaterThan(200);
    for (const flow of flows) {
      const r = await call(pool, 'GET', `/v1/classify?${query({ ...flow })}`);
      const want = engine.classify(flow);
      expect(isFlowError(want), JSON.stringify(flow)).toBe(false);
      expect(r.status, JSON.stringify(flow)).toBe(200);
      expectResponse('/v1/classify', 'GET', 200, r.body);
      expect(r.body, JSON.stringify(flow)).toEqual(want);
    }
  });

  it('answers Microsoft 365 and other destinations', async () => {
    const yes = await call(pool, 'GET', '/v1/classify?host=outlook.office.com&port=443&protocol=tcp');
    expect(yes.body).toMatchObject({ m365: true, category: 'Optimize', action: 'bypass', version: engine.version });
    const no = await call(pool, 'GET', '/v1/classify?ip=8.8.8.8');
    expect(no.body).toMatchObject({ m365: false, category: null, action: 'none' });
    expect(no.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('explains with every candidate', async () => {
    for (const flow of [{ host: 'outlook.office.com', port: '443' }, { ip: '8.8.8.8' }, { ip: '40.96.0.1', host: 'outlook.office.com', port: '443' }]) {
      const r = await call(pool, 'GET', `/v1/classify?${query({ ...flow, explain: 'true' })}`);
      expect(r.status).toBe(200);
      expectResponse('/v1/classify', 'GET', 200, r.body);
      const x = engine.explain(flow);
      if ('error' in x) throw new Error('unexpected');
      expect(r.body).toEqual(JSON.parse(JSON.stringify({ ...x.result, flow: x.flow, candidates: x.candidates })));
    }
    const one = await call(pool, 'GET', `/v1/classify?host=outlook.office.com&explain=1`);
    expect((one.body as { candidates: unknown[] }).candidates.length).toBeGreaterThan(0);
  });

  it('answers a bad flow with the engine code, as a coded 400', async () => {
    for (const { flow, code } of BAD_FLOWS) {
      const r = await call(pool, 'GET', `/v1/classify?${query(flow as Record<string, string>)}`);
      expect(r.status, JSON.stringify(flow)).toBe(400);
      expectResponse('/v1/classify', 'GET', 400, r.body);
      expect((r.body as { code: string }).code, JSON.stringify(flow)).toBe(code);
    }
  });
});

describe('POST /v1/classify', () => {
  it('answers a batch in order, bad flows in place', async () => {
    const good = sampleFlows(engine.snapshot);
    const flows: unknown[] = [...good];
    for (const [i, b] of BAD_FLOWS.entries()) flows.splice(i * 17, 0, b.flow);
    flows.push(null, 42, 'outlook.office.com', [], { ip: 7 }, { host: ['a'] }, { ip: null, host: 'outlook.office.com' });
    const r = await call(pool, 'POST', '/v1/classify', { body: JSON.stringify({ flows }) });
    expect(r.status).toBe(200);
    expectResponse('/v1/classify', 'POST', 200, r.body);
    const body = r.body as { version: string; results: unknown[] };
    expect(body.version).toBe(engine.version);
    expect(body.results).toEqual(flows.map((f) => engine.classify(f as never)));
    for (const b of BAD_FLOWS) {
      expect(body.results[flows.indexOf(b.flow)]).toMatchObject({ error: { code: b.code } });
    }
  });

  it('answers an empty batch and the largest batch', async () => {
    const empty = await call(pool, 'POST', '/v1/classify', { body: '{"flows":[]}' });
    expect(empty.body).toEqual({ version: engine.version, results: [] });
    const flows = Array.from({ length: 10_000 }, (_, i) => ({ ip: `40.96.${(i >> 8) & 255}.${i & 255}`, port: 443 }));
    const big = await call(pool, 'POST', '/v1/classify', { body: JSON.stringify({ flows }) });
    expect(big.status).toBe(200);
    expect((big.body as { results: unknown[] }).results).toEqual(flows.map((f) => engine.classify(f)));
  });
});

describe('data routes', () => {
  it('GET /v1/version', async () => {
    const r = await call(pool, 'GET', '/v1/version');
    expect(r.status).toBe(200);
    expectResponse('/v1/version', 'GET', 200, r.body);
    expect(r.body).toMatchObject({
      version: engine.version,
      instance: engine.snapshot.instance,
      source: 'bootstrap',
      fetchedAt: engine.snapshot.fetchedAt,
      precedence: 'specific-first',
      tenant: null,
      sets: engine.snapshot.sets.length,
      updater: null,
    });
  });

  it('GET /v1/endpoints lists the sets in use', async () => {
    const r = await call(pool, 'GET', '/v1/endpoints');
    expect(r.status).toBe(200);
    expectResponse('/v1/endpoints', 'GET', 200, r.body);
    expect(r.body).toEqual(
      JSON.parse(JSON.stringify({ version: engine.version, instance: engine.snapshot.instance, fetchedAt: engine.snapshot.fetchedAt, sets: engine.snapshot.sets })),
    );
  });

  it('GET /v1/changes: empty without an updater, filtered by since with one', async () => {
    const none = await call(pool, 'GET', '/v1/changes');
    expect(none.status).toBe(200);
    expectResponse('/v1/changes', 'GET', 200, none.body);
    expect(none.body).toEqual({ version: engine.version, since: null, changes: [] });
    const changes: ChangeRecord[] = [
      { version: '2024010100', previousVersion: null, publishedAt: '2024-01-01T00:00:00.000Z' },
      { version: '2025010100', previousVersion: '2024010100', publishedAt: '2025-01-01T00:00:00.000Z', addedSets: [7] },
    ];
    server.liveIndex.attach({ updaterStatus: () => null, changes: () => changes, refresh: null });
    try {
      const some = await call(pool, 'GET', '/v1/changes?since=2024010100');
      expectResponse('/v1/changes', 'GET', 200, some.body);
      expect(some.body).toEqual({ version: engine.version, since: '2024010100', changes: [changes[1]] });
      const bad = await call(pool, 'GET', '/v1/changes?since=yesterday');
      expect(bad.status).toBe(400);
      expectResponse('/v1/changes', 'GET', 400, bad.body);
      expect(bad.body).toMatchObject({ code: 'M365FC_ERR_SERVE_BAD_QUERY' });
    } finally {
      server.liveIndex.attach(null);
    }
  });

  it('shows the updater status when an updater runs', async () => {
    const status: UpdaterStatus = {
      lastAttempt: '2025-01-01T00:00:00.000Z',
      lastSuccess: null,
      lastErrorCode: 'M365FC_ERR_UPSTREAM_TIMEOUT',
      consecutiveFailures: 3,
      stale: false,
      nextCheck: '2025-01-01T01:00:00.000Z',
    };
    server.liveIndex.attach({ updaterStatus: () => status, changes: () => [], refresh: null });
    try {
      const v = await call(pool, 'GET', '/v1/version');
      expectResponse('/v1/version', 'GET', 200, v.body);
      expect((v.body as { updater: unknown }).updater).toEqual(server.liveIndex.updaterStatus);
      const ready = await call(pool, 'GET', '/readyz');
      expectResponse('/readyz', 'GET', 200, ready.body);
      expect((ready.body as { updater: unknown }).updater).toEqual(server.liveIndex.updaterStatus);
      const m = await call(pool, 'GET', '/metrics');
      expect(m.text).toContain('m365fc_updater_status{field="consecutive_failures"} 3');
    } finally {
      server.liveIndex.attach(null);
    }
  });
});

describe('admin refresh', () => {
  it('answers 403 when the server has no admin token', async () => {
    const r = await call(pool, 'POST', '/v1/admin/refresh');
    expect(r.status).toBe(403);
    expectResponse('/v1/admin/refresh', 'POST', 403, r.body);
  });
});

describe('operations routes', () => {
  it('GET /healthz and /readyz', async () => {
    const h = await call(pool, 'GET', '/healthz');
    expect(h.status).toBe(200);
    expectResponse('/healthz', 'GET', 200, h.body);
    const r = await call(pool, 'GET', '/readyz');
    expect(r.status).toBe(200);
    expectResponse('/readyz', 'GET', 200, r.body);
    expect(r.body).toEqual({ status: 'ready', version: engine.version, source: 'bootstrap', updater: null });
  });

  it('GET /metrics counts lookups by route and category, and errors by code', async () => {
    await call(pool, 'GET', '/v1/classify?host=outlook.office.com');
    await call(pool, 'GET', '/v1/classify?ip=1.2.3');
    const r = await call(pool, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.text).toMatch(/m365fc_lookups_total\{route="get",category="Optimize"\} \d+/);
    expect(r.text).toMatch(/m365fc_lookups_total\{route="post",category="error"\} \d+/);
    expect(r.text).toMatch(/m365fc_errors_total\{code="M365FC_ERR_FLOW_BAD_IP"\} \d+/);
    expect(r.text).toMatch(/m365fc_http_request_duration_seconds_bucket\{le="0\.001",method="GET",route="\/v1\/classify"\} \d+/);
    expect(r.text).toContain(`m365fc_data_info{version="${engine.version}",instance="${engine.snapshot.instance}",source="bootstrap"} 1`);
    expect(r.text).toMatch(/m365fc_host_cache_hits_total \d+/);
    expect(r.text).toMatch(/m365fc_websocket_connections 0/);
  });

  it('GET /openapi.yaml serves the document', async () => {
    const r = await call(pool, 'GET', '/openapi.yaml');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(r.text).toBe(OPENAPI_TEXT);
  });

  it('unknown routes get a coded 404', async () => {
    for (const [method, path] of [['GET', '/nope'], ['POST', '/v1/version'], ['GET', '/v1/admin/refresh']] as const) {
      const r = await call(pool, method, path);
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ statusCode: 404, code: 'M365FC_ERR_SERVE_NOT_FOUND', error: 'Not Found' });
    }
  });
});

describe('index swap', () => {
  it('answers from the new index at once, host cache included, and reports it', async () => {
    const host = 'outlook.office.com';
    const before = await call(pool, 'GET', `/v1/classify?host=${host}&port=443`);
    expect((before.body as { version: string }).version).toBe(engine.version);
    const older = createClassifier(readDataFile(realResponsePath('worldwide-commit20190109.json'), { version: '2019010900' }));
    server.liveIndex.publish(older, { source: 'file' });
    try {
      const after = await call(pool, 'GET', `/v1/classify?host=${host}&port=443`);
      expect(after.body).toEqual(older.classify({ host, port: 443 }));
      expect((after.body as { version: string }).version).toBe('2019010900');
      const v = await call(pool, 'GET', '/v1/version');
      expect(v.body).toMatchObject({ version: '2019010900', source: 'file' });
      const batch = await call(pool, 'POST', '/v1/classify', { body: JSON.stringify({ flows: [{ host }] }) });
      expect(batch.body).toEqual({ version: '2019010900', results: [older.classify({ host })] });
    } finally {
      server.liveIndex.publish(engine, { source: 'bootstrap' });
    }
  });
});
