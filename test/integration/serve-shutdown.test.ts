import { EventEmitter } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { runUntilSignal } from '../../src/serve/cluster.js';
import { holdRefresh, startTestServer, tempFile } from './helpers.js';
import { TestSocket } from './ws-client.js';

/** Graceful shutdown: stop accepting, finish in-flight requests, close WebSockets with a frame. */

describe('shutdown under load', () => {
  it('every answered request is whole and correct; WebSockets get 1001', async () => {
    const server = await startTestServer();
    const engine = server.liveIndex.current!;
    const flows = Array.from({ length: 500 }, (_, i) => ({ ip: `40.96.${i >> 8}.${i & 255}`, port: 443 }));
    const body = JSON.stringify({ flows });
    const expected = JSON.stringify({ version: engine.version, results: flows.map((f) => engine.classify(f)) });
    const pool = new Pool(server.url, { connections: 8, pipelining: 4 });
    const ws = await TestSocket.open(server.url);
    expect(await ws.request({ subscribe: ['version'] })).toEqual({ subscribed: ['version'] });

    let answered = 0;
    let answeredAfterClose = 0;
    let refused = 0;
    let closeStarted = false;
    const wrong: string[] = [];
    const worker = async (): Promise<void> => {
      for (;;) {
        try {
          const res = await pool.request({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'application/json' }, body });
          const text = await res.body.text();
          if (res.statusCode !== 200 || text !== expected) wrong.push(`${res.statusCode} ${text.slice(0, 120)}`);
          else {
            answered++;
            if (closeStarted) answeredAfterClose++;
          }
        } catch {
          // Not answered: the connection was refused or closed before a response started.
          refused++;
          if (closeStarted) return;
        }
      }
    };
    const workers = Array.from({ length: 16 }, () => worker());
    while (answered < 200) await new Promise((r) => setTimeout(r, 5));
    closeStarted = true;
    await server.close();
    await Promise.all(workers);
    await pool.close().catch(() => undefined);

    expect(wrong).toEqual([]);
    expect(answered).toBeGreaterThanOrEqual(200);
    expect(refused).toBeGreaterThan(0);
    const closed = await ws.closed;
    expect(closed).toEqual({ code: 1001, reason: 'M365FC_ERR_SERVE_SHUTTING_DOWN' });
    // Requests in flight when close() began were finished, not dropped.
    expect(answeredAfterClose).toBeGreaterThan(0);
  });

  it('requests on open connections while draining are answered; readiness says shutting down', async () => {
    const admin = 'admin-token-0123456789abcdef';
    const server = await startTestServer(['--admin-token-file', tempFile('admin', admin)]);
    const held = holdRefresh(server);
    // A raw socket: undici would not pipeline a GET behind a POST.
    const socket = connect(server.port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (received += d));
    const ended = new Promise<void>((r) => socket.on('close', () => r()));
    socket.write(`POST /v1/admin/refresh HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${admin}\r\nContent-Length: 0\r\n\r\n`);
    await held.called;
    const closing = server.close();
    // The connection is busy, so it stays open; a request pipelined on it is still answered.
    await new Promise((r) => setTimeout(r, 20));
    socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((r) => setTimeout(r, 20));
    held.release();
    await closing;
    await ended;
    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    const [first = '', second = ''] = answers;
    expect(first).toMatch(/^HTTP\/1\.1 200 /);
    // Another request came behind it: this answer is not the connection's last.
    expect(first).toMatch(/\r\nconnection: keep-alive\r\n/i);
    expect(JSON.parse(first.slice(first.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 'unchanged' });
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/\r\nconnection: close\r\n/i);
    expect(JSON.parse(second.slice(second.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'M365FC_ERR_SERVE_SHUTTING_DOWN' });
  });
});

describe('SIGTERM', () => {
  it('drains and resolves exit status 0', async () => {
    const server = await startTestServer();
    const signals = new EventEmitter();
    const running = runUntilSignal(server, signals);
    signals.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  });
});
