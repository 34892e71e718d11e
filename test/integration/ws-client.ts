import type { Socket } from 'node:net';
import { WebSocket } from 'ws';

/** A WebSocket test client that queues what it receives, so a test can await answers in order. */
export class TestSocket {
  readonly ws: WebSocket;
  private readonly queue: unknown[] = [];
  private waiters: Array<(m: unknown) => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  received = 0;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      this.received++;
      const m = JSON.parse(data.toString('utf8')) as unknown;
      const w = this.waiters.shift();
      if (w) w(m);
      else this.queue.push(m);
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  static open(baseUrl: string, headers: Record<string, string> = {}): Promise<TestSocket> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/stream`, { headers });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestSocket(ws)));
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  next(): Promise<unknown> {
    const m = this.queue.shift();
    if (m !== undefined) return Promise.resolve(m);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async request(message: unknown): Promise<unknown> {
    this.send(message);
    return this.next();
  }

  /** Stops reading from the TCP socket, as a client that does not keep up would. */
  stopReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.pause();
  }

  resumeReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.resume();
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close(1000);
    return this.closed;
  }
}
