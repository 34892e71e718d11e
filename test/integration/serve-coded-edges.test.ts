import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/serve/server.js';
import { expectResponse } from '../support/openapi.js';
import { call, rawExchange, startTestServer } from './helpers.js';
import { TestSocket } from './ws-client.js';

/** Answers that came from Node, fastify or ws without our coded body now carry it (issue 16, item 7). */

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

interface RawAnswer {
  text: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Sends raw bytes; parses the one answer the server gives before it closes the connection. */
async function raw(bytes: string): Promise<RawAnswer> {
  const out = await rawExchange(server.port, bytes);
  const [head = '', text = ''] = out.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // left as text: the assertions below then fail with it in view
  }
  return { text: out, status: Number(statusLine.split(' ')[1]), headers, body };
}

function expectCoded(r: { status: number; headers: Record<string, string | string[] | undefined>; body: unknown }, path: string, status: number, code: string): void {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(String(r.headers['content-type'])).toContain('application/json');
  expectResponse(path, 'GET', status, r.body);
  expect(r.body).toMatchObject({ statusCode: status, code });
}

describe('HTTP answers that come from the server stack', () => {
  it('GET /v1/export/<101 characters>: coded 404, not FST_ERR_MAX_PARAM_LENGTH', async () => {
    const r = await call(pool, 'GET', `/v1/export/${'a'.repeat(101)}`);
    expectCoded(r, '/v1/export/{name}', 404, 'M365FC_ERR_SERVE_NOT_FOUND');
  });

  it('GET /v1/stream without Upgrade: coded 426 with Upgrade: websocket', async () => {
    const r = await call(pool, 'GET', '/v1/stream');
    expectCoded(r, '/v1/stream', 426, 'M365FC_ERR_SERVE_UPGRADE_REQUIRED');
    expect(r.headers['upgrade']).toBe('websocket');
  });

  it.each([
    ['no Sec-WebSocket-Key', 'Sec-WebSocket-Version: 13\r\n'],
    ['a bad Sec-WebSocket-Key', 'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n'],
    ['an unknown Sec-WebSocket-Version', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n'],
  ])('a WebSocket handshake with %s: coded 400, not text/html', async (_name, headers) => {
    const r = await raw(`GET /v1/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${headers}\r\n`);
    expectCoded(r, '/v1/stream', 400, 'M365FC_ERR_SERVE_BAD_REQUEST');
    expect((r.body as { message: string }).message).toMatch(/^WebSocket handshake refused: /);
  });

  it('an HTTP/1.1 request without Host: coded 400', async () => {
    const r = await raw('GET /v1/classify?ip=8.8.8.8 HTTP/1.1\r\n\r\n');
    expectCoded(r, '/v1/classify', 400, 'M365FC_ERR_SERVE_BAD_REQUEST');
    expect(r.headers['connection']).toBe('close');
  });

  it('Expect: x-y: coded 417', async () => {
    const r = await raw('GET /v1/classify?ip=8.8.8.8 HTTP/1.1\r\nHost: x\r\nExpect: x-y\r\n\r\n');
    expectCoded(r, '/v1/classify', 417, 'M365FC_ERR_SERVE_EXPECTATION_FAILED');
  });

  it('Expect: 100-continue still works', async () => {
    const body = JSON.stringify({ flows: [{ ip: '8.8.8.8' }] });
    const r = await raw(
      `POST /v1/classify HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n${body}`,
    );
    // The interim 100 comes first; the final answer follows it.
    expect(r.status).toBe(100);
    expect(r.text).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });

  it('?__proto__=1 on /v1/export/list is refused like any unknown option', async () => {
    for (const q of ['__proto__=1', 'bogus=1']) {
      const r = await call(pool, 'GET', `/v1/export/list?${q}`);
      expectCoded(r, '/v1/export/{name}', 400, 'M365FC_ERR_EXPORT_BAD_OPTION');
    }
    const ok = await call(pool, 'GET', '/v1/export/list');
    expect(ok.status).toBe(200);
  });

  it('the counts show in /metrics by code', async () => {
    const m = await call(pool, 'GET', '/metrics');
    for (const code of ['M365FC_ERR_SERVE_UPGRADE_REQUIRED', 'M365FC_ERR_SERVE_EXPECTATION_FAILED']) {
      expect(m.text).toMatch(new RegExp(`code="${code}"[^\\n]* [1-9]`));
    }
  });
});

describe('WebSocket ids', () => {
  it('an integer id beyond 2^53 is echoed digit for digit', async () => {
    const ws = await TestSocket.open(server.url);
    const got = new Promise<string>((resolve) => ws.ws.once('message', (d: Buffer) => resolve(d.toString('utf8'))));
    ws.send('{"id":9007199254740993,"flows":[{"ip":"8.8.8.8"}]}');
    const text = await got;
    expect(text.startsWith('{"id":9007199254740993,')).toBe(true);
    const bad = new Promise<string>((resolve) => ws.ws.once('message', (d: Buffer) => resolve(d.toString('utf8'))));
    // An error answer carries it too.
    ws.send('{"id":123456789012345678901234567890,"flows":"x"}');
    expect((await bad).startsWith('{"id":123456789012345678901234567890,"error":{"code":"M365FC_ERR_SERVE_BAD_MESSAGE"')).toBe(true);
    await ws.close();
  });
});
