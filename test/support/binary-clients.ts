/**
 * Test clients of the binary protocol over its two transports: plain TCP (length-prefixed
 * frames) and the WebSocket (one binary message per frame). Both queue what arrives so a test
 * can send many frames and then await the answers in order.
 */
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { FrameReader } from './binary-codec.js';

abstract class Queue {
  private readonly queue: Buffer[] = [];
  private waiters: Array<(b: Buffer) => void> = [];

  protected deliver(b: Buffer): void {
    const w = this.waiters.shift();
    if (w) w(b);
    else this.queue.push(b);
  }

  next(): Promise<Buffer> {
    const b = this.queue.shift();
    if (b !== undefined) return Promise.resolve(b);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  abstract send(frame: Buffer): void;

  async request(frame: Buffer): Promise<Buffer> {
    this.send(frame);
    return this.next();
  }
}

export class TcpFrameClient extends Queue {
  readonly closed: Promise<void>;
  private readonly reader = new FrameReader();

  private constructor(readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.reader.push(chunk)) this.deliver(f);
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<TcpFrameClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, host, () => resolve(new TcpFrameClient(s)));
      s.once('error', reject);
    });
  }

  send(frame: Buffer): void {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(frame.length);
    this.socket.write(Buffer.concat([len, frame]));
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }
}

export class WsFrameClient extends Queue {
  readonly closed: Promise<number>;
  /** Text (JSON) messages seen, which a binary client should never get. */
  texts = 0;

  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        this.texts++;
        return;
      }
      this.deliver(data);
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve(code)));
  }

  static open(baseUrl: string, headers: Record<string, string> = {}): Promise<WsFrameClient> {
    const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/stream`, { headers, perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new WsFrameClient(ws)));
      ws.once('error', reject);
    });
  }

  send(frame: Buffer): void {
    this.ws.send(frame, { binary: true });
  }

  close(): Promise<number> {
    this.ws.close(1000);
    return this.closed;
  }
}
