import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createClassifier, readDataFile, type Classifier } from '../../src/index.js';
import type { RunningServer } from '../../src/serve/server.js';
import { realResponsePath } from '../support/data.js';
import { expectSchema } from '../support/openapi.js';
import { BAD_FLOWS, call, sampleFlows, startTestServer } from './helpers.js';
import { TestSocket } from './ws-client.js';

/** WebSocket /v1/stream over a real socket with the `ws` client. */

let server: RunningServer;
let engine: Classifier;

beforeAll(async () => {
  server = await startTestServer(['--message-limit', String(1024 * 1024)]);
  engine = server.liveIndex.current!;
});

afterAll(() => server.close());

function expectError(m: unknown, code: string, id?: string | number): void {
  expectSchema('StreamServerMessage', m);
  expectSchema('StreamError', m);
  expect(m).toMatchObject({ error: { code } });
  if (id === undefined) expect(m).not.toHaveProperty('id');
  else expect((m as { id: unknown }).id).toBe(id);
}

describe('classify messages', () => {
  it('answers each batch as the engine does, bad flows in place, in order', async () => {
    const s = await TestSocket.open(server.url);
    try {
      const flows: unknown[] = [...sampleFlows(engine.snapshot), ...BAD_FLOWS.map((b) => b.flow), null, 7];
      const answer = await s.request({ id: 'batch-1', flows });
      expectSchema('StreamServerMessage', answer);
      expectSchema('StreamClassifyResult', answer);
      expect(answer).toEqual({ id: 'batch-1', version: engine.version, results: flows.map((f) => engine.classify(f as never)) });

      for (let i = 0; i < 50; i++) s.send({ id: i, flows: [{ ip: `40.96.0.${i}`, port: 443 }] });
      for (let i = 0; i < 50; i++) {
        expect(await s.next()).toEqual({ id: i, version: engine.version, results: [engine.classify({ ip: `40.96.0.${i}`, port: 443 })] });
      }
      expect(await s.request({ flows: [] })).toEqual({ version: engine.version, results: [] });
    } finally {
      await s.close();
    }
  });

  it('answers garbage with a coded error and keeps the socket open', async () => {
    const s = await TestSocket.open(server.url);
    try {
      expectError(await s.request('not json {'), 'M365FC_ERR_SERVE_BAD_MESSAGE');
      // A binary message is a frame of the binary protocol: test/integration/binary-protocol.test.ts.
      expectError(await s.request('[]'), 'M365FC_ERR_SERVE_BAD_MESSAGE');
      expectError(await s.request('42'), 'M365FC_ERR_SERVE_BAD_MESSAGE');
      expectError(await s.request('null'), 'M365FC_ERR_SERVE_BAD_MESSAGE');
      expectError(await s.request(''), 'M365FC_ERR_SERVE_BAD_MESSAGE');
      expectError(await s.request({ id: 5 }), 'M365FC_ERR_SERVE_BAD_MESSAGE', 5);
      expectError(await s.request({ id: 6, flows: 'x' }), 'M365FC_ERR_SERVE_BAD_MESSAGE', 6);
      expectError(await s.request({ id: 7, flows: [], extra: true }), 'M365FC_ERR_SERVE_BAD_MESSAGE', 7);
      expectError(await s.request({ id: { nested: 1 }, flows: [] }), 'M365FC_ERR_SERVE_BAD_MESSAGE');
      expectError(await s.request({ id: 'x'.repeat(200), flows: [] }), 'M365FC_ERR_SERVE_BAD_MESSAGE');
      expectError(await s.request({ id: 'sub', subscribe: ['weather'] }), 'M365FC_ERR_SERVE_BAD_MESSAGE', 'sub');
      const tooMany = Array.from({ length: 10_001 }, () => ({ ip: '1.1.1.1' }));
      expectError(await s.request({ id: 'big', flows: tooMany }), 'M365FC_ERR_SERVE_TOO_MANY_FLOWS', 'big');
      expect(await s.request({ id: 'still', flows: [{ host: 'outlook.office.com' }] })).toEqual({
        id: 'still',
        version: engine.version,
        results: [engine.classify({ host: 'outlook.office.com' })],
      });
    } finally {
      await s.close();
    }
  });

  it('closes with 1009 and a coded reason on a message over the limit, 1007 on bad UTF-8; the server keeps serving', async () => {
    const big = await TestSocket.open(server.url);
    big.send(JSON.stringify({ flows: [{ host: 'a'.repeat(1024 * 1024) }] }));
    expect(await big.closed).toEqual({ code: 1009, reason: 'M365FC_ERR_SERVE_MESSAGE_TOO_LARGE: a message is limited to 1048576 bytes' });

    const utf8 = await TestSocket.open(server.url);
    utf8.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await utf8.closed).toEqual({ code: 1007, reason: 'M365FC_ERR_SERVE_BAD_MESSAGE: a text message is not valid UTF-8' });

    const s = await TestSocket.open(server.url);
    expect(await s.request({ id: 1, flows: [{ ip: '8.8.8.8' }] })).toMatchObject({ id: 1 });
    await s.close();
    const pool = new Pool(server.url);
    const m = await call(pool, 'GET', '/metrics');
    await pool.close();
    expect(m.text).toMatch(/m365fc_errors_total\{code="M365FC_ERR_SERVE_MESSAGE_TOO_LARGE"\} 1/);
    expect(m.text).toMatch(/m365fc_lookups_total\{route="stream",category="Optimize"\} \d+/);
  });
});

describe('version events', () => {
  it('pushes a version event to subscribers on every swap, and not after unsubscribe', async () => {
    const s = await TestSocket.open(server.url);
    const other = createClassifier(readDataFile(realResponsePath('worldwide-commit20200531.json'), { version: '2020053100' }));
    try {
      const ack = await s.request({ id: 'sub', subscribe: ['version'] });
      expectSchema('StreamSubscribed', ack);
      expect(ack).toEqual({ id: 'sub', subscribed: ['version'] });

      server.liveIndex.publish(other, { source: 'live', fetchedAt: '2020-05-31T12:00:00.000Z' });
      const event = await s.next();
      expectSchema('StreamServerMessage', event);
      expectSchema('StreamVersionEvent', event);
      expect(event).toMatchObject({ event: 'version', version: '2020053100', previousVersion: engine.version, source: 'live', fetchedAt: '2020-05-31T12:00:00.000Z' });
      expect(await s.request({ flows: [{ host: 'outlook.office.com' }] })).toMatchObject({ version: '2020053100' });

      expect(await s.request({ unsubscribe: ['version'] })).toEqual({ subscribed: [] });
      server.liveIndex.publish(engine, { source: 'bootstrap' });
      // The next message is the answer, not an event.
      expect(await s.request({ id: 'after', flows: [] })).toEqual({ id: 'after', version: engine.version, results: [] });
    } finally {
      server.liveIndex.publish(engine, { source: 'bootstrap' });
      await s.close();
    }
  });
});

describe('back-pressure', () => {
  it('stops reading a client that does not read, then closes it', async () => {
    const slow = await startTestServer(['--stream-high-water', '65536', '--stream-stall-ms', '300']);
    try {
      const s = await TestSocket.open(slow.url);
      s.stopReading();
      const flows = Array.from({ length: 1000 }, (_, i) => ({ ip: `52.96.${i >> 8}.${i & 255}`, port: 443 }));
      const text = JSON.stringify({ flows });
      const sent = 300;
      for (let i = 0; i < sent; i++) s.send(text);
      // About 60 MB of answers were asked for; the server must give up on this client.
      const pool = new Pool(slow.url);
      let m = await call(pool, 'GET', '/metrics');
      while (!/m365fc_websocket_slow_consumer_closes_total 1/.test(m.text)) {
        await new Promise((r) => setTimeout(r, 50));
        m = await call(pool, 'GET', '/metrics');
      }
      s.resumeReading();
      const closed = await s.closed;
      expect([1006, 1008]).toContain(closed.code);
      expect(s.received).toBeLessThan(sent);

      // The server counts the connection gone once its own side has closed too.
      do m = await call(pool, 'GET', '/metrics');
      while (!/m365fc_websocket_connections 0/.test(m.text));
      expect((await call(pool, 'GET', '/v1/classify?ip=8.8.8.8')).status).toBe(200);
      await pool.close();
      const fresh = await TestSocket.open(slow.url);
      expect(await fresh.request({ id: 1, flows: [] })).toMatchObject({ id: 1 });
      await fresh.close();
    } finally {
      await slow.close();
    }
  });
});
