import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { runUntilSignal } from '../../src/serve/cluster.js';
import type { RefreshResult } from '../../src/follow/live-index.js';
import { startTestServer, tempFile } from './helpers.js';
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
    let release!: (r: RefreshResult) => void;
    let refreshing!: () => void;
    const refreshCalled = new Promise<void>((r) => (refreshing = r));
    server.liveIndex.attach({
      updaterStatus: () => null,
      changes: () => [],
      refresh: () => {
        refreshing();
        return new Promise((r) => (release = r));
      },
    });
    const pool = new Pool(server.url, { connections: 1, pipelining: 2 });
    const slow = pool.request({ method: 'POST', path: '/v1/admin/refresh', headers: { authorization: `Bearer ${admin}` } });
    await refreshCalled;
    const closing = server.close();
    // The connection is busy, so it stays open; a request pipelined on it is still answered.
    await new Promise((r) => setTimeout(r, 20));
    const ready = pool.request({ method: 'GET', path: '/readyz' });
    release({ status: 'unchanged', version: server.liveIndex.current!.version });
    const first = await slow;
    expect(first.statusCode).toBe(200);
    expect(await first.body.json()).toMatchObject({ status: 'unchanged' });
    const second = await ready;
    expect(second.statusCode).toBe(503);
    expect(second.headers['connection']).toBe('close');
    expect(await second.body.json()).toMatchObject({ code: 'M365FC_ERR_SERVE_SHUTTING_DOWN' });
    await closing;
    await pool.close().catch(() => undefined);
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
