import { describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { ERROR_NUMBERS } from '../../src/core/errors.js';
import { decodeFrame, encodeHello, encodeRequest } from '../support/binary-codec.js';
import { TcpFrameClient, WsFrameClient } from '../support/binary-clients.js';
import { startTestServer, tempFile } from './helpers.js';

/** The TCP transport of the binary protocol: the hello with tokens, back-pressure, shutdown. */

const TOKEN = 'binary-lookup-token-0123456789';
const ADMIN = 'binary-admin-token-0123456789ab';
const UNAUTHORIZED = ERROR_NUMBERS.get('M365FC_ERR_SERVE_UNAUTHORIZED');
const flow = { ip: '40.96.0.1', port: 443, protocol: 'tcp' };

describe('with lookup tokens', () => {
  it('wants a hello with a good token first, and closes on anything else', async () => {
    const server = await startTestServer([
      '--binary-port', '0',
      '--token-file', tempFile('tokens', `${TOKEN}\n`),
      '--admin-token-file', tempFile('admin', `${ADMIN}\n`),
    ]);
    try {
      const noHello = await TcpFrameClient.open(server.binaryPort!);
      expect(decodeFrame(await noHello.request(encodeRequest(3, [flow])))).toEqual({ kind: 3, requestId: 3, error: UNAUTHORIZED });
      await noHello.closed;

      const wrong = await TcpFrameClient.open(server.binaryPort!);
      expect(decodeFrame(await wrong.request(encodeHello(4, 'not-the-token-at-all')))).toEqual({ kind: 3, requestId: 4, error: UNAUTHORIZED });
      await wrong.closed;

      for (const token of [TOKEN, ADMIN]) {
        const ok = await TcpFrameClient.open(server.binaryPort!);
        expect(decodeFrame(await ok.request(encodeHello(5, token)))).toEqual({ kind: 5, requestId: 5, version: server.liveIndex.current!.version });
        const a = decodeFrame(await ok.request(encodeRequest(6, [flow])));
        expect(a.kind).toBe(2);
        expect(a.records![0]!.status).toBe(1);
        await ok.close();
      }

      // The WebSocket checks the token at the upgrade, as for JSON messages.
      await expect(WsFrameClient.open(server.url)).rejects.toThrow(/401/);
      const ws = await WsFrameClient.open(server.url, { authorization: `Bearer ${TOKEN}` });
      expect(decodeFrame(await ws.request(encodeRequest(7, [flow]))).kind).toBe(2);
      await ws.close();
    } finally {
      await server.close();
    }
  });
});

describe('back-pressure', () => {
  it('stops reading a client that does not read, and closes it after the stall limit', async () => {
    const server = await startTestServer(['--binary-port', '0', '--stream-high-water', '16384', '--stream-stall-ms', '300']);
    const pool = new Pool(server.url);
    try {
      const client = await TcpFrameClient.open(server.binaryPort!);
      client.socket.pause();
      const frame = encodeRequest(1, Array.from({ length: 2000 }, () => flow));
      // Each answer is 16 KiB. Keep writing until the server stops reading us (our own write
      // buffer then grows) and gives up on us; the kernel's buffers take several MB first.
      let sent = 0;
      while (!client.socket.destroyed && sent < 5000) {
        client.send(frame);
        sent++;
        if (client.socket.writableLength > 2 * 1024 * 1024) await new Promise((r) => setTimeout(r, 20));
      }
      await client.closed;
      // It stopped reading long before the client stopped writing: far fewer answers than frames.
      let text = '';
      for (let i = 0; i < 50 && !/m365fc_binary_tcp_slow_consumer_closes_total 1/.test(text); i++) {
        text = await (await pool.request({ method: 'GET', path: '/metrics' })).body.text();
      }
      expect(text).toMatch(/m365fc_binary_tcp_slow_consumer_closes_total 1/);
      const answered = Number(/m365fc_binary_frames_total\{transport="tcp",answer="answer"\} (\d+)/.exec(text)?.[1] ?? 'NaN');
      expect(answered).toBeLessThan(sent);

      // Others are served meanwhile and after.
      const fresh = await TcpFrameClient.open(server.binaryPort!);
      expect(decodeFrame(await fresh.request(encodeRequest(2, [flow]))).kind).toBe(2);
      await fresh.close();
    } finally {
      await pool.close();
      await server.close();
    }
  });
});

describe('shutdown', () => {
  it('answers what arrived, then ends TCP connections and stops listening', async () => {
    const server = await startTestServer(['--binary-port', '0']);
    const client = await TcpFrameClient.open(server.binaryPort!);
    expect(decodeFrame(await client.request(encodeRequest(1, [flow]))).kind).toBe(2);
    await server.close();
    await client.closed;
    await expect(TcpFrameClient.open(server.binaryPort!)).rejects.toThrow(/ECONNREFUSED/);
  });
});
