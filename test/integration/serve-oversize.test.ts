import Fastify, { type FastifyInstance } from 'fastify';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBodyLimit } from '../../src/serve/body-limit.js';
import type { RunningServer } from '../../src/serve/server.js';
import { expectSchema } from '../support/openapi.js';
import { call, startTestServer } from './helpers.js';

/**
 * Bodies over the limit, over a raw socket so that what happens on the wire is seen: the coded
 * 413, Connection: close, the lingering close (the server keeps reading after its answer, so
 * the client's writes do not meet a reset), its bounds, Expect: 100-continue and chunked bodies.
 */

const LIMIT = 2 * 1024 * 1024;
const MIB = 1024 * 1024;
let server: RunningServer;

beforeAll(async () => {
  server = await startTestServer();
});

afterAll(() => server.close());

/** A raw HTTP/1.1 client that writes and reads independently and records how it ended. */
class RawClient {
  readonly socket: Socket;
  private buf = Buffer.alloc(0);
  error: string | null = null;
  ended = false;
  readonly closed: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(port: number) {
    // allowHalfOpen: the server's FIN after its answer must not stop our writes.
    this.socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    this.socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (const w of this.waiters.splice(0)) w();
    });
    this.socket.on('end', () => {
      this.ended = true;
    });
    this.socket.on('error', (e: Error & { code?: string }) => {
      this.error = e.code ?? e.message;
    });
    this.closed = new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  get text(): string {
    return this.buf.toString('latin1');
  }

  /** Resolves once the received text matches `re`. */
  async until(re: RegExp): Promise<string> {
    while (!re.test(this.text)) {
      if (this.socket.destroyed) throw new Error(`closed before ${re}: ${this.text.slice(0, 200)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        this.socket.once('close', resolve);
      });
    }
    return this.text;
  }

  /** Writes `bytes` of spaces, waiting for drain; resolves to what was written before a failure. */
  async pump(bytes: number, chunked = false): Promise<number> {
    const piece = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    while (sent < bytes && !this.socket.destroyed && this.error === null) {
      const data = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
      sent += piece.length;
      if (!this.socket.write(data)) await new Promise<void>((resolve) => {
        this.socket.once('drain', resolve);
        this.socket.once('close', resolve);
      });
    }
    return sent;
  }
}

function head(length: number | 'chunked', extra: string[] = []): string {
  const size = length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`;
  return ['POST /v1/classify HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/json', size, ...extra].join('\r\n') + '\r\n\r\n';
}

function answerOf(text: string): { status: number; headers: string; body: unknown } {
  const at = text.indexOf('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  return { status, headers: text.slice(0, at).toLowerCase(), body: JSON.parse(text.slice(at + 4)) as unknown };
}

function expectCoded413(text: string): void {
  const a = answerOf(text);
  expect(a.status).toBe(413);
  expect(a.headers).toContain('connection: close');
  expect(a.headers).toContain('content-type: application/json');
  expectSchema('Error', a.body);
  expect(a.body).toMatchObject({ statusCode: 413, code: 'M365FC_ERR_SERVE_BODY_TOO_LARGE' });
}

describe('a body over the limit by Content-Length', () => {
  it('is refused from the header alone, then the server reads on: writes after the answer meet no reset', async () => {
    const c = new RawClient(server.port);
    c.socket.write(head(16 * MIB));
    // The answer comes before a byte of the body was sent.
    expectCoded413(await c.until(/\r\n\r\n\{[^}]*\}$/));
    // The server half-closed after its answer (FIN), and still reads: 8 MiB more go through.
    expect(await c.pump(8 * MIB)).toBe(8 * MIB);
    c.socket.end();
    await c.closed;
    expect(c.ended).toBe(true);
    expect(c.error).toBeNull();
  });

  it('with Expect: 100-continue, is refused without the 100, so the body is never sent', async () => {
    const c = new RawClient(server.port);
    c.socket.write(head(16 * MIB, ['Expect: 100-continue']));
    const text = await c.until(/\r\n\r\n\{[^}]*\}$/);
    expect(text).not.toContain('100 Continue');
    expectCoded413(text);
    c.socket.end();
    await c.closed;
    expect(c.error).toBeNull();
  });

  it('with Expect: 100-continue, a body that fits gets the 100 and then its answer', async () => {
    const c = new RawClient(server.port);
    const body = JSON.stringify({ flows: [{ ip: '8.8.8.8' }] });
    c.socket.write(head(Buffer.byteLength(body), ['Expect: 100-continue']));
    await c.until(/^HTTP\/1\.1 100 Continue\r\n\r\n/);
    c.socket.end(body);
    const text = await c.until(/"results":\[[^\]]*\]\}$/);
    expect(text).toMatch(/\r\n\r\nHTTP\/1\.1 200 OK\r\n/);
  });
});

describe('a chunked body', () => {
  it('over the limit gets the coded 413 once it passes the limit, and the server reads on', async () => {
    const c = new RawClient(server.port);
    c.socket.write(head('chunked'));
    const wrote = c.pump(16 * MIB, true);
    expectCoded413(await c.until(/\r\n\r\n\{[^}]*\}$/));
    expect(await wrote).toBe(16 * MIB);
    c.socket.end('0\r\n\r\n');
    await c.closed;
    expect(c.error).toBeNull();
  });

  it('within the limit is answered as usual', async () => {
    const c = new RawClient(server.port);
    const body = Buffer.from(JSON.stringify({ flows: [{ host: 'outlook.office.com', port: 443 }, { ip: '1.2.3' }] }));
    c.socket.write(head('chunked'));
    c.socket.write(`${body.length.toString(16)}\r\n`);
    c.socket.write(body);
    c.socket.end('\r\n0\r\n\r\n');
    const text = await c.until(/"results":\[.*\]\}$/);
    expect(answerOf(text).status).toBe(200);
    expect(answerOf(text).body).toMatchObject({ results: [{ m365: true, category: 'Optimize' }, { error: { code: 'M365FC_ERR_FLOW_BAD_IP' } }] });
  });

  it('counts each refusal in the error metric, and the server keeps answering', async () => {
    const pool = new Pool(server.url);
    const m = await call(pool, 'GET', '/metrics');
    expect(m.text).toMatch(/m365fc_errors_total\{code="M365FC_ERR_SERVE_BODY_TOO_LARGE"\} 3/);
    expect((await call(pool, 'GET', '/v1/classify?ip=8.8.8.8')).status).toBe(200);
    // fastify's inject has no socket to linger on: the same coded 413 comes the ordinary way.
    const r = await server.app.inject({ method: 'POST', url: '/v1/classify', headers: { 'content-type': 'application/json' }, payload: Buffer.alloc(LIMIT + 1, 0x20) });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'M365FC_ERR_SERVE_BODY_TOO_LARGE' });
    await pool.close();
  });
});

describe('the lingering close is bounded', () => {
  const apps: FastifyInstance[] = [];
  /** A bare fastify app with a 1 KiB limit and the given linger bounds; its port. */
  async function limited(linger: { bytes: number; ms: number }): Promise<number> {
    const app = Fastify();
    apps.push(app);
    registerBodyLimit(app, { bodyBytes: 1024, linger });
    app.post('/v1/classify', async () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    return (app.server.address() as AddressInfo).port;
  }
  afterAll(() => Promise.all(apps.map((a) => a.close())));

  it('in bytes: a client that never stops sending is cut off', async () => {
    const c = new RawClient(await limited({ bytes: 256 * 1024, ms: 60_000 }));
    c.socket.write(head(1024 * MIB));
    expectCoded413(await c.until(/\r\n\r\n\{[^}]*\}$/));
    // Far less than 1 GiB goes through: the server cuts after 256 KiB (plus what the kernel buffers).
    const sent = await c.pump(1024 * MIB);
    await c.closed;
    expect(sent).toBeLessThan(1024 * MIB);
  });

  it('in time: a client that stops sending and never closes is let go', async () => {
    const port = await limited({ bytes: 1024 * MIB, ms: 200 });
    const app = apps[apps.length - 1]!;
    const serverSide = new Promise<Socket>((resolve) => app.server.once('connection', resolve));
    const c = new RawClient(port);
    c.socket.write(head(16 * MIB));
    expectCoded413(await c.until(/\r\n\r\n\{[^}]*\}$/));
    // The server's end of the connection closes on its own; the client has not closed its side.
    const s = await serverSide;
    await new Promise((resolve) => (s.destroyed ? resolve(null) : s.once('close', resolve)));
    expect(c.ended).toBe(true);
    expect(c.socket.writableEnded).toBe(false);
    c.socket.destroy();
  });
});
