import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/serve/server.js';
import { call, startTestServer } from '../integration/helpers.js';
import { TestSocket } from '../integration/ws-client.js';
import { expectResponse } from '../support/openapi.js';

/**
 * Deeply nested JSON (issue 16, item 5): a 2 MB `[[[...]]]` cost 50x a normal batch. It is
 * refused with a coded 400 by a scan whose time is linear in the bytes. Timing is a ratio of two
 * measurements in the same run (the median of several of each), never an absolute time.
 */

let server: RunningServer;
let pool: Pool;

beforeAll(async () => {
  server = await startTestServer();
  pool = new Pool(server.url, { connections: 1 });
});

afterAll(async () => {
  await pool.close();
  await server.close();
});

const LIMIT = 2 * 1024 * 1024;
const HALF = Math.floor((LIMIT - 16) / 2);
const DEEP = `${'['.repeat(HALF)}${']'.repeat(HALF)}`;
const DEEP_OBJECTS = `${'{"a":'.repeat(Math.floor(HALF / 5))}1${'}'.repeat(Math.floor(HALF / 5))}`;
const NORMAL = JSON.stringify({
  flows: Array.from({ length: 10_000 }, (_, i) => ({ ip: `40.${96 + (i % 8)}.${(i >> 8) & 255}.${i & 255}`, port: 443, protocol: 'tcp' })),
});

async function timed(body: string): Promise<{ ms: number; status: number; body: unknown }> {
  const t = performance.now();
  const r = await call(pool, 'POST', '/v1/classify', { body });
  return { ms: performance.now() - t, status: r.status, body: r.body };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe('deeply nested JSON over POST', () => {
  it('is refused with a coded 400 in under 3x the time of a normal 10,000-flow batch', async () => {
    expect(DEEP.length).toBeLessThanOrEqual(LIMIT);
    for (const body of [DEEP, DEEP_OBJECTS]) {
      const r = await timed(body);
      expect(r.status).toBe(400);
      expectResponse('/v1/classify', 'POST', 400, r.body);
      expect(r.body).toMatchObject({ code: 'M365FC_ERR_SERVE_JSON_TOO_DEEP' });
    }
    // Warm both paths, then interleave the runs so that load on the machine hits both alike.
    const normal: number[] = [];
    const deep: number[] = [];
    for (let i = 0; i < 7; i++) {
      const n = await timed(NORMAL);
      expect(n.status).toBe(200);
      normal.push(n.ms);
      deep.push((await timed(DEEP)).ms);
    }
    const ratio = median(deep) / median(normal);
    console.log(`deep 2 MB: ${median(deep).toFixed(1)} ms, normal 10,000 flows (${(NORMAL.length / 1024).toFixed(0)} KiB): ${median(normal).toFixed(1)} ms, ratio ${ratio.toFixed(2)}`);
    expect(ratio).toBeLessThan(3);
  });

  it('nesting the contract allows is answered as before', async () => {
    // An unknown field holding a small object is a schema error (400 BAD_REQUEST), not a depth error.
    const r = await call(pool, 'POST', '/v1/classify', { body: '{"flows":[{"ip":"8.8.8.8"}],"x":{"a":{"b":[1]}}}' });
    expect(r.body).toMatchObject({ code: 'M365FC_ERR_SERVE_BAD_REQUEST' });
    // Brackets inside strings do not count.
    const s = await call(pool, 'POST', '/v1/classify', { body: JSON.stringify({ flows: [{ host: `${'['.repeat(50)}"\\${'{'.repeat(50)}` }] }) });
    expect(s.status).toBe(200);
    expect(s.body).toMatchObject({ results: [{ error: { code: 'M365FC_ERR_FLOW_BAD_HOST' } }] });
  });
});

describe('deeply nested JSON over the WebSocket', () => {
  it('gets a coded error answer and the socket stays open', async () => {
    const ws = await TestSocket.open(server.url);
    expect(await ws.request(DEEP)).toEqual({
      error: { code: 'M365FC_ERR_SERVE_JSON_TOO_DEEP', message: expect.stringMatching(/deeper than 8/) as unknown },
    });
    expect(await ws.request({ id: 7, flows: [{ ip: '8.8.8.8' }] })).toMatchObject({ id: 7, results: [{ m365: false }] });
    await ws.close();
  });
});
