import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { WebSocket } from 'ws';
import { isM365Error } from '../../src/core/errors.js';
import type { RefreshResult } from '../../src/follow/live-index.js';
import type { RunningServer } from '../../src/serve/server.js';
import { expectResponse } from '../support/openapi.js';
import { call, startTestServer, tempFile } from './helpers.js';

/** Bearer tokens: lookups need one when configured; admin routes always need an admin token. */

const LOOKUP = 'lookup-token-0123456789abcdef';
const LOOKUP2 = 'second-lookup-token-0123456789';
const ADMIN = 'admin-token-fedcba9876543210';

const LOOKUP_ROUTES: ReadonlyArray<readonly ['GET' | 'POST', string, string?]> = [
  ['GET', '/v1/classify?ip=8.8.8.8'],
  ['POST', '/v1/classify', '{"flows":[{"ip":"8.8.8.8"}]}'],
  ['GET', '/v1/version'],
  ['GET', '/v1/endpoints'],
  ['GET', '/v1/changes'],
  ['GET', '/metrics'],
];

function wsStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/stream`, { headers });
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', reject);
  });
}

describe('with --token-file and --admin-token-file', () => {
  let server: RunningServer;
  let pool: Pool;

  beforeAll(async () => {
    const tokens = tempFile('tokens', `# lookup tokens\n${LOOKUP}\n\n  ${LOOKUP2}  \r\n`);
    const admin = tempFile('admin', `${ADMIN}\n`);
    server = await startTestServer(['--token-file', tokens, '--admin-token-file', admin]);
    pool = new Pool(server.url, { connections: 2 });
  });

  afterAll(async () => {
    await pool.close();
    await server.close();
  });

  it('lookups without a valid token get 401 with WWW-Authenticate', async () => {
    for (const auth of [undefined, 'Bearer wrong-token-0123456789abc', `Basic ${LOOKUP}`, LOOKUP, 'Bearer ', `Bearer ${LOOKUP}x`]) {
      for (const [method, path, body] of LOOKUP_ROUTES) {
        const r = await call(pool, method, path, { ...(body ? { body } : {}), headers: auth ? { authorization: auth } : {} });
        expect(r.status, `${method} ${path} ${auth}`).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer');
        expectResponse(path.split('?')[0]!, method, 401, r.body);
        expect(r.body).toMatchObject({ code: 'M365FC_ERR_SERVE_UNAUTHORIZED' });
      }
    }
    expect(await wsStatus(server.url, {})).toBe(401);
  });

  it('lookups with a lookup or admin token are answered', async () => {
    for (const auth of [`Bearer ${LOOKUP}`, `bearer ${LOOKUP2}`, `Bearer ${ADMIN}`]) {
      for (const [method, path, body] of LOOKUP_ROUTES) {
        const r = await call(pool, method, path, { ...(body ? { body } : {}), headers: { authorization: auth } });
        expect(r.status, `${method} ${path} ${auth}`).toBe(200);
      }
      expect(await wsStatus(server.url, { authorization: auth })).toBe(101);
    }
  });

  it('health, readiness and the document need no token', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.yaml']) expect((await call(pool, 'GET', path)).status).toBe(200);
  });

  it('admin refresh: 401 without a token, 403 with a lookup token, 501 without an updater', async () => {
    const none = await call(pool, 'POST', '/v1/admin/refresh');
    expect(none.status).toBe(401);
    expectResponse('/v1/admin/refresh', 'POST', 401, none.body);
    const lookup = await call(pool, 'POST', '/v1/admin/refresh', { headers: { authorization: `Bearer ${LOOKUP}` } });
    expect(lookup.status).toBe(403);
    expect(lookup.body).toMatchObject({ code: 'M365FC_ERR_SERVE_FORBIDDEN' });
    const admin = await call(pool, 'POST', '/v1/admin/refresh', { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(admin.status).toBe(501);
    expectResponse('/v1/admin/refresh', 'POST', 501, admin.body);
    expect(admin.body).toMatchObject({ code: 'M365FC_ERR_SERVE_NO_UPDATER' });
  });

  it('admin refresh calls the updater hook', async () => {
    let calls = 0;
    const refresh = (): Promise<RefreshResult> => {
      calls++;
      return Promise.resolve({ status: 'unchanged', version: server.liveIndex.current!.version, errorCode: null });
    };
    server.liveIndex.attach({ updaterStatus: () => null, changes: () => [], refresh });
    try {
      const r = await call(pool, 'POST', '/v1/admin/refresh', { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(200);
      expectResponse('/v1/admin/refresh', 'POST', 200, r.body);
      expect(r.body).toEqual({ status: 'unchanged', version: server.liveIndex.current!.version, errorCode: null });
      expect(calls).toBe(1);
    } finally {
      server.liveIndex.attach(null);
    }
  });
});

describe('without tokens', () => {
  it('lookups are open and admin routes are disabled', async () => {
    const server = await startTestServer();
    const pool = new Pool(server.url);
    try {
      for (const [method, path, body] of LOOKUP_ROUTES) {
        expect((await call(pool, method, path, body ? { body } : {})).status).toBe(200);
      }
      expect(await wsStatus(server.url, {})).toBe(101);
      const admin = await call(pool, 'POST', '/v1/admin/refresh', { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(admin.status).toBe(403);
      expect(admin.body).toMatchObject({ code: 'M365FC_ERR_SERVE_FORBIDDEN' });
    } finally {
      await pool.close();
      await server.close();
    }
  });

  it('a weak or empty token file stops the start with a coded error', async () => {
    for (const text of ['short\n', '# only a comment\n', 'has space inside-0123456789\n']) {
      const err = await startTestServer(['--token-file', tempFile('t', text)]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(isM365Error(err) && err.code === 'M365FC_ERR_CONFIG_BAD_OPTION', text).toBe(true);
    }
  });
});
