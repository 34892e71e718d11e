import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import type { RunningServer } from '../../src/serve/server.js';
import { expectResponse } from '../support/openapi.js';
import { call, rawExchange, startTestServer, type JsonResponse } from './helpers.js';

/** Bad input on every route gets its coded 4xx, never a 5xx, and the server keeps serving. */

let server: RunningServer;
let pool: Pool;

beforeAll(async () => {
  server = await startTestServer();
  pool = new Pool(server.url, { connections: 2 });
});

afterAll(async () => {
  await pool.close();
  await server.close();
});

function expectCoded(r: JsonResponse, path: string, method: string, status: number, code: string): void {
  expect(r.status, `${method} ${path} ${r.text.slice(0, 200)}`).toBe(status);
  expectResponse(path, method, status, r.body);
  expect(r.body).toMatchObject({ statusCode: status, code });
}

async function stillServing(): Promise<void> {
  const r = await call(pool, 'GET', '/v1/classify?host=outlook.office.com');
  expect(r.status).toBe(200);
}

const raw = (bytes: string): Promise<string> => rawExchange(server.port, bytes);

describe('GET /v1/classify query errors', () => {
  it.each([
    ['ip=1.1.1.1&ip=2.2.2.2', 'repeated parameter'],
    ['ip=1.1.1.1&proto=udp', 'unknown parameter'],
    ['ip=1.1.1.1&explain=maybe', 'explain not a boolean'],
    [`host=${'a'.repeat(1100)}`, 'host beyond the schema limit'],
  ])('%s (%s) → 400 M365FC_ERR_SERVE_BAD_QUERY', async (q) => {
    expectCoded(await call(pool, 'GET', `/v1/classify?${q}`), '/v1/classify', 'GET', 400, 'M365FC_ERR_SERVE_BAD_QUERY');
  });

  it('an empty query and empty values get the engine codes', async () => {
    expectCoded(await call(pool, 'GET', '/v1/classify'), '/v1/classify', 'GET', 400, 'M365FC_ERR_FLOW_NO_TARGET');
    expectCoded(await call(pool, 'GET', '/v1/classify?ip='), '/v1/classify', 'GET', 400, 'M365FC_ERR_FLOW_BAD_IP');
    expectCoded(await call(pool, 'GET', '/v1/classify?host='), '/v1/classify', 'GET', 400, 'M365FC_ERR_FLOW_BAD_HOST');
    expectCoded(await call(pool, 'GET', '/v1/classify?host=%00x.com'), '/v1/classify', 'GET', 400, 'M365FC_ERR_FLOW_BAD_HOST');
    expectCoded(await call(pool, 'GET', '/v1/classify?ip=1.1.1.1&port=-1'), '/v1/classify', 'GET', 400, 'M365FC_ERR_FLOW_BAD_PORT');
    expectCoded(await call(pool, 'GET', '/v1/classify?ip=1.1.1.1&port=44.3'), '/v1/classify', 'GET', 400, 'M365FC_ERR_FLOW_BAD_PORT');
  });

  it('a URL over the query limit → 414, one over the header limit → 431', async () => {
    const long = await call(pool, 'GET', `/v1/classify?host=${'a'.repeat(3000)}`);
    expectCoded(long, '/v1/classify', 'GET', 414, 'M365FC_ERR_SERVE_QUERY_TOO_LONG');
    const huge = await raw(`GET /v1/classify?host=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(huge).toMatch(/^HTTP\/1\.1 431 /);
    const body = JSON.parse(huge.slice(huge.indexOf('\r\n\r\n') + 4)) as unknown;
    expectResponse('/v1/classify', 'GET', 431, body);
    expect(body).toMatchObject({ code: 'M365FC_ERR_SERVE_HEADERS_TOO_LARGE' });
    await stillServing();
  });
});

describe('POST /v1/classify body errors', () => {
  const post = (body: string, headers?: Record<string, string>): Promise<JsonResponse> =>
    call(pool, 'POST', '/v1/classify', { body, ...(headers ? { headers } : {}) });

  it.each([['{"flows": [}'], ['{"flows"'], [''], ['\u0000'], ['{"flows":[{"ip":"1.1.1.1"}]} trailing']])(
    'invalid JSON %j → 400 M365FC_ERR_SERVE_BAD_JSON',
    async (body) => {
      expectCoded(await post(body), '/v1/classify', 'POST', 400, 'M365FC_ERR_SERVE_BAD_JSON');
    },
  );

  it.each([['[]'], ['null'], ['"flows"'], ['{}'], ['{"flows":{}}'], ['{"flows":"x"}'], ['{"flows":[],"extra":1}'], ['{"flow":[]}']])(
    'wrong shape %s → 400 M365FC_ERR_SERVE_BAD_REQUEST',
    async (body) => {
      expectCoded(await post(body), '/v1/classify', 'POST', 400, 'M365FC_ERR_SERVE_BAD_REQUEST');
    },
  );

  it('10,001 flows → 413 M365FC_ERR_SERVE_TOO_MANY_FLOWS', async () => {
    const flows = Array.from({ length: 10_001 }, () => ({ ip: '1.1.1.1' }));
    expectCoded(await post(JSON.stringify({ flows })), '/v1/classify', 'POST', 413, 'M365FC_ERR_SERVE_TOO_MANY_FLOWS');
  });

  it('a body over the limit → 413 M365FC_ERR_SERVE_BODY_TOO_LARGE', async () => {
    const body = JSON.stringify({ flows: Array.from({ length: 9000 }, () => ({ host: 'x'.repeat(240) })) });
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    expectCoded(await post(body), '/v1/classify', 'POST', 413, 'M365FC_ERR_SERVE_BODY_TOO_LARGE');
    await stillServing();
  });

  it('a body that is not JSON → 415 M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await post('{"flows":[]}', { 'content-type': 'text/plain' });
    expectCoded(r, '/v1/classify', 'POST', 415, 'M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE');
    const form = await post('flows=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expectCoded(form, '/v1/classify', 'POST', 415, 'M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE');
  });

  it('a JSON "__proto__" key is inert', async () => {
    const r = await post('{"flows":[{"__proto__":{"host":"outlook.office.com"}},{"ip":"8.8.8.8","__proto__":{"ip":"40.96.0.1"}}]}');
    expect(r.status).toBe(200);
    const results = (r.body as { results: Array<Record<string, unknown>> }).results;
    expect(results[0]).toMatchObject({ error: { code: 'M365FC_ERR_FLOW_NO_TARGET' } });
    expect(results[1]).toMatchObject({ m365: false });
  });
});

describe('transport errors', () => {
  it('a malformed request line gets a coded 400 and the connection is closed', async () => {
    const out = await raw('THIS IS NOT HTTP\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as unknown;
    expectResponse('/v1/classify', 'GET', 400, body);
    expect(body).toMatchObject({ code: 'M365FC_ERR_SERVE_BAD_REQUEST' });
    await stillServing();
  });

  it('bad input on the other routes', async () => {
    expectCoded(await call(pool, 'GET', '/v1/changes?since=1&x=2'), '/v1/changes', 'GET', 400, 'M365FC_ERR_SERVE_BAD_QUERY');
  });

  it('never answered a 5xx', async () => {
    const m = await call(pool, 'GET', '/metrics');
    expect(m.text).not.toMatch(/code="M365FC_ERR_SERVE_INTERNAL"/);
    await stillServing();
  });
});

describe('overload', () => {
  it('answers 503 M365FC_ERR_SERVE_OVERLOADED with Retry-After, but liveness still answers', async () => {
    let healthy = true;
    const s = await startTestServer(['--retry-after', '7'], {
      underPressure: { healthCheck: () => Promise.resolve(healthy), healthCheckInterval: 5 },
    });
    const p = new Pool(s.url, { connections: 1 });
    try {
      expect((await call(p, 'GET', '/v1/classify?ip=8.8.8.8')).status).toBe(200);
      healthy = false;
      let r: JsonResponse;
      do r = await call(p, 'GET', '/v1/classify?ip=8.8.8.8');
      while (r.status === 200);
      expectCoded(r, '/v1/classify', 'GET', 503, 'M365FC_ERR_SERVE_OVERLOADED');
      expect(r.headers['retry-after']).toBe('7');
      expect((await call(p, 'GET', '/healthz')).status).toBe(200);
      healthy = true;
      do r = await call(p, 'GET', '/v1/classify?ip=8.8.8.8');
      while (r.status === 503);
      expect(r.status).toBe(200);
    } finally {
      await p.close();
      await s.close();
    }
  });
});
