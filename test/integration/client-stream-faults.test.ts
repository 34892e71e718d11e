import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { M365fcClient, isM365fcClientError, type Scheduler } from '../../plugin-api/client.js';

/**
 * The stream client against a scripted WebSocket server on 127.0.0.1: connections that drop
 * requests, answers out of order, close codes. Reconnects are run by the test, not by a clock.
 */

type Script = (ws: WebSocket, connection: number, received: Array<Record<string, unknown>>) => void;

let servers: WebSocketServer[] = [];
afterEach(async () => {
  // wss.close() waits for open connections: end them first.
  for (const s of servers) for (const c of s.clients) c.terminate();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  servers = [];
});

async function scripted(script: Script): Promise<{ url: string; log: Array<Array<Record<string, unknown>>> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/v1/stream' });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const log: Array<Array<Record<string, unknown>>> = [];
  wss.on('connection', (ws) => {
    const received: Array<Record<string, unknown>> = [];
    log.push(received);
    const n = log.length;
    ws.on('message', (data: Buffer) => {
      received.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>);
      script(ws, n, received);
    });
  });
  const a = wss.address();
  return { url: `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`, log };
}

function manualScheduler(): { scheduler: Scheduler; runNext: () => void; pending: () => number } {
  const due: Array<() => void> = [];
  return {
    scheduler: (fn) => {
      due.push(fn);
      return () => undefined;
    },
    runNext: () => due.shift()!(),
    pending: () => due.length,
  };
}

const answer = (m: Record<string, unknown>): string =>
  JSON.stringify('subscribe' in m ? { id: m['id'], subscribed: m['subscribe'] } : { id: m['id'], version: '2024010100', results: [{ tag: (m['flows'] as Array<{ host: string }>)[0]!.host }] });

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe('client stream faults', () => {
  it('sends unanswered requests again after a drop, subscription first, and settles in call order even when answers come reversed', async () => {
    const { url, log } = await scripted((ws, n, received) => {
      if (n === 1) {
        // First connection: takes the subscription and three requests, answers nothing, goes away.
        if (received.length === 4) ws.close(1001, 'going away');
        return;
      }
      if (received.length === 4) for (const m of [...received].reverse()) ws.send(answer(m));
    });
    const clock = manualScheduler();
    const client = new M365fcClient({ baseUrl: url });
    const stream = client.stream({ subscribe: ['version'], scheduler: clock.scheduler });
    const order: string[] = [];
    const calls = ['a', 'b', 'c'].map((host) => stream.classify([{ host }]).then((r) => order.push((r.results[0] as unknown as { tag: string }).tag)));
    await until(() => clock.pending() === 1);
    clock.runNext();
    await Promise.all(calls);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(log[1]!.length).toBe(4);
    expect(log[1]![0]).toMatchObject({ subscribe: ['version'] });
    expect(log[1]!.slice(1).map((m) => (m['flows'] as Array<{ host: string }>)[0]!.host)).toEqual(['a', 'b', 'c']);
    expect(log[1]!.slice(1).map((m) => m['id'])).toEqual(log[0]!.slice(1).map((m) => m['id']));
    await client.close();
  });

  it('gives up on a request after maxResends sends with M365FC_ERR_CLIENT_CLOSED', async () => {
    const { url } = await scripted((ws) => ws.close(1011, 'no'));
    const clock = manualScheduler();
    const client = new M365fcClient({ baseUrl: url });
    const stream = client.stream({ maxResends: 2, scheduler: clock.scheduler });
    const p = stream.classify([{ host: 'a' }]).catch((e: unknown) => e);
    await until(() => clock.pending() === 1);
    clock.runNext();
    const err = await p;
    expect(isM365fcClientError(err) && err.code).toBe('M365FC_ERR_CLIENT_CLOSED');
    await client.close();
  });

  it('fails the request of a 1009 close with M365FC_ERR_SERVE_MESSAGE_TOO_LARGE and carries on', async () => {
    const { url } = await scripted((ws, n, received) => {
      if (n === 1) ws.close(1009, 'too big');
      else ws.send(answer(received[received.length - 1]!));
    });
    const clock = manualScheduler();
    const client = new M365fcClient({ baseUrl: url });
    const stream = client.stream({ scheduler: clock.scheduler });
    const big = stream.classify([{ host: 'big' }]).catch((e: unknown) => e);
    const err = await big;
    expect(isM365fcClientError(err) && err.code).toBe('M365FC_ERR_SERVE_MESSAGE_TOO_LARGE');
    const next = stream.classify([{ host: 'small' }]);
    await until(() => clock.pending() === 1);
    clock.runNext();
    expect(((await next).results[0] as unknown as { tag: string }).tag).toBe('small');
    await client.close();
  });

  it('close() fails what is unanswered with M365FC_ERR_CLIENT_CLOSED', async () => {
    const { url } = await scripted(() => undefined);
    const client = new M365fcClient({ baseUrl: url });
    const stream = client.stream();
    await stream.ready();
    const p = stream.classify([{ host: 'a' }]).catch((e: unknown) => e);
    await client.close();
    const err = await p;
    expect(isM365fcClientError(err) && err.code).toBe('M365FC_ERR_CLIENT_CLOSED');
    expect(await stream.classify([]).catch((e: unknown) => (e as { code: string }).code)).toBe('M365FC_ERR_CLIENT_CLOSED');
  });
});
