import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { holdRefresh, startTestServer, tempFile } from './helpers.js';

/**
 * Shutdown takes about as long as the slowest request in flight (issue 16, item 6): the drained
 * answer carries `Connection: close` and idle keep-alive connections are closed, so close() does
 * not wait out --shutdown-timeout-ms (10 s by default).
 */

const ADMIN = 'admin-token-0123456789abcdef';

describe('shutdown with a request in flight', () => {
  it('completes in under 1 s; the answer says Connection: close; an idle keep-alive connection is closed', async () => {
    const server = await startTestServer(['--admin-token-file', tempFile('admin', ADMIN)]);
    const held = holdRefresh(server);
    const pool = new Pool(server.url, { connections: 2 });
    // One connection left idle after an answer, kept alive.
    const warm = await pool.request({ method: 'GET', path: '/healthz' });
    await warm.body.text();
    expect(warm.headers['connection']).toBe('keep-alive');

    const slow = pool.request({ method: 'POST', path: '/v1/admin/refresh', headers: { authorization: `Bearer ${ADMIN}` } });
    await held.called;
    const started = performance.now();
    let closedAt = 0;
    const closing = server.close().then(() => (closedAt = performance.now()));
    // The request in flight takes 200 ms more.
    setTimeout(held.release, 200);
    const res = await slow;
    expect(res.statusCode).toBe(200);
    expect(res.headers['connection']).toBe('close');
    expect(await res.body.json()).toMatchObject({ status: 'unchanged' });
    await closing;
    const took = closedAt - started;
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(1000);
    await pool.close().catch(() => undefined);
  });
  // A request pipelined behind the one in flight: test/integration/serve-shutdown.test.ts.
});
