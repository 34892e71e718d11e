import { connect, type Socket } from 'node:net';
import { Pool } from 'undici';
import { WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/serve/server.js';
import { call, startTestServer } from '../integration/helpers.js';
import { TestSocket } from '../integration/ws-client.js';
import { expectResponse } from '../support/openapi.js';

/** Clients that would hold the service: slow bodies, silent WebSockets, too many WebSockets (issue 16, item 3). */

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.close();
});

async function start(argv: string[]): Promise<RunningServer> {
  const s = await startTestServer(argv);
  running.push(s);
  return s;
}

interface SlowOutcome {
  /** ms from the first byte to the end of the connection */
  elapsedMs: number;
  answer: string;
}

/** A POST that declares 1000 bytes of body and sends one a second until the server ends it. */
function slowBody(port: number): Promise<SlowOutcome> {
  return new Promise((resolve) => {
    const started = performance.now();
    const s: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let ticker: NodeJS.Timeout | undefined;
    s.setEncoding('utf8');
    s.on('data', (d: string) => (answer += d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(ticker);
      resolve({ elapsedMs: performance.now() - started, answer });
    });
    s.write('POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    ticker = setInterval(() => {
      if (s.writable) s.write(' ');
    }, 1000);
  });
}

describe('slow request bodies', () => {
  it('100 connections sending 1 byte a second all get a coded 408 within --body-timeout 2', async () => {
    const server = await start(['--body-timeout', '2']);
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => slowBody(server.port)));
    for (const o of outcomes) {
      expect(o.answer).toMatch(/^HTTP\/1\.1 408 /);
      const body = JSON.parse(o.answer.slice(o.answer.indexOf('\r\n\r\n') + 4)) as unknown;
      expectResponse('/v1/classify', 'POST', 408, body);
      expect(body).toMatchObject({ statusCode: 408, code: 'M365FC_ERR_SERVE_REQUEST_TIMEOUT' });
      // The limit, plus Node's check interval (a quarter of it), plus a margin for a loaded machine.
      expect(o.elapsedMs).toBeGreaterThanOrEqual(1900);
      expect(o.elapsedMs).toBeLessThan(2000 + 500 + 1500);
    }
    const pool = new Pool(server.url);
    const m = await call(pool, 'GET', '/metrics');
    expect(m.text).toMatch(/m365fc_errors_total\{code="M365FC_ERR_SERVE_REQUEST_TIMEOUT"\} 100\b/);
    // The server is still serving.
    expect((await call(pool, 'GET', '/v1/classify?ip=8.8.8.8')).status).toBe(200);
    await pool.close();
  });

  it('a body that arrives in time is answered', async () => {
    const server = await start(['--body-timeout', '2']);
    const pool = new Pool(server.url);
    const r = await call(pool, 'POST', '/v1/classify', { body: JSON.stringify({ flows: [{ ip: '8.8.8.8' }] }) });
    expect(r.status).toBe(200);
    await pool.close();
  });
});

describe('WebSocket idle timeout', () => {
  it('a client that answers no ping is closed with 1001 M365FC_ERR_SERVE_STREAM_IDLE; one that answers stays', async () => {
    const server = await start(['--stream-idle-ms', '600']);
    const url = `${server.url.replace(/^http/, 'ws')}/v1/stream`;
    const mute = new WebSocket(url, { autoPong: false });
    const lively = new WebSocket(url);
    await Promise.all([mute, lively].map((w) => new Promise((r) => w.once('open', r))));
    const started = performance.now();
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      mute.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    expect(closed).toEqual({ code: 1001, reason: 'M365FC_ERR_SERVE_STREAM_IDLE' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(500);
    // The lively client was pinged and answered: it is open and answers requests after 3 idle periods.
    await new Promise((r) => setTimeout(r, 1800));
    expect(lively.readyState).toBe(WebSocket.OPEN);
    lively.close();
  });
});

describe('WebSocket connection cap', () => {
  it('over --stream-max-connections the upgrade gets a coded 503; the count is in /metrics', async () => {
    const server = await start(['--stream-max-connections', '3']);
    const open = await Promise.all(Array.from({ length: 3 }, () => TestSocket.open(server.url)));
    const pool = new Pool(server.url);
    const m = await call(pool, 'GET', '/metrics');
    expect(m.text).toMatch(/^m365fc_websocket_connections 3$/m);

    const refused = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: unknown }>((resolve, reject) => {
      const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/stream`);
      ws.once('open', () => reject(new Error('opened over the cap')));
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as unknown }));
      });
      ws.once('error', () => undefined);
    });
    expect(refused.status).toBe(503);
    expectResponse('/v1/stream', 'GET', 503, refused.body);
    expect(refused.body).toMatchObject({ code: 'M365FC_ERR_SERVE_TOO_MANY_STREAMS' });
    expect(refused.headers['retry-after']).toBe('5');

    // One leaves, one more gets in.
    await open[0]!.close();
    await expect.poll(async () => (await call(pool, 'GET', '/metrics')).text).toMatch(/^m365fc_websocket_connections 2$/m);
    const again = await TestSocket.open(server.url);
    expect(await again.request({ id: 1, flows: [{ ip: '8.8.8.8' }] })).toMatchObject({ id: 1 });
    for (const s of [...open.slice(1), again]) await s.close();
    await pool.close();
  });
});
