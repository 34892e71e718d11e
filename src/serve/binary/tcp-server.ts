import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TokenSet } from '../auth.js';
import type { ServeContext } from '../context.js';
import { ROUTE_BINARY } from '../metrics.js';
import { answerFrame, fail } from './answer-frame.js';
import { binaryMetricsOf, countFrame, type BinaryMetrics } from './binary-metrics.js';
import { helloOkFrame, helloToken, KIND_HELLO, readHead } from './frame.js';

/**
 * The binary protocol on plain TCP (`--binary-port`): each frame, both ways, is preceded by
 * its length as a u32. Frames are answered in order, one answer per frame. With lookup tokens
 * configured, the first frame must be a hello (kind 4) carrying one; it is answered by kind 5,
 * or by an error frame and a close. Back-pressure as on the WebSocket: once more than
 * `streamHighWaterBytes` of answers wait unsent, no more frames are read (nor answered) until
 * half of them drained; a client that reads nothing for `streamStallMs` meanwhile is cut off.
 * A frame longer than the message limit gets an error frame and a close: after a length the
 * server will not read, the stream cannot be resynchronized.
 */

export interface BinaryTcpOptions {
  readonly ctx: ServeContext;
  /** Lookup and admin tokens; null when lookups are open (no hello needed). */
  readonly tokens: readonly TokenSet[] | null;
}

class TcpConnection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needHello: boolean;
  private paused = false;
  private ended = false;
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly o: BinaryTcpOptions,
    private readonly m: BinaryMetrics,
  ) {
    this.needHello = o.tokens !== null;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.onDrain());
    // A reset by the client is its business; the close handler cleans up.
    socket.on('error', () => undefined);
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.work();
  }

  /** Answers every complete frame buffered, unless paused. */
  private work(): void {
    const limit = this.o.ctx.limits.messageBytes;
    while (!this.paused && !this.ended && this.buffered >= 4) {
      if (this.chunks[0]!.length < 4) this.merge();
      const len = this.chunks[0]!.readUInt32BE(0);
      if (len > limit) {
        this.reply(fail(this.o.ctx.metrics, 0, 'M365FC_ERR_BINARY_FRAME_TOO_LARGE'), performance.now());
        this.end();
        return;
      }
      if (this.buffered < 4 + len) return;
      const frame = this.take(4 + len).subarray(4);
      this.handle(frame);
    }
  }

  private handle(frame: Buffer): void {
    const started = performance.now();
    const ctx = this.o.ctx;
    if (this.needHello) {
      const head = readHead(frame);
      const token = head.error === null && head.kind === KIND_HELLO ? helloToken(frame) : null;
      const header = token === null ? undefined : `Bearer ${token}`;
      if (header === undefined || !this.o.tokens!.some((t) => t.accepts(header))) {
        this.reply(fail(ctx.metrics, head.requestId, 'M365FC_ERR_SERVE_UNAUTHORIZED'), started);
        this.end();
        return;
      }
      this.needHello = false;
      const c = ctx.live.current;
      this.reply(c === null ? fail(ctx.metrics, head.requestId, 'M365FC_ERR_SERVE_NOT_READY') : helloOkFrame(head.requestId, c.version), started);
      return;
    }
    this.reply(answerFrame(ctx.live.current, frame, ctx.metrics, ROUTE_BINARY), started);
  }

  private reply(answer: Buffer, started: number): void {
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeUInt32BE(answer.length, 0);
    // cork: the length and the frame leave in one write (one segment for small answers)
    this.socket.cork();
    this.socket.write(prefix);
    this.socket.write(answer);
    this.socket.uncork();
    countFrame(this.m, 'tcp', answer, started);
    if (!this.paused && this.socket.writableLength > this.o.ctx.limits.streamHighWaterBytes) this.pause();
  }

  private pause(): void {
    this.paused = true;
    this.socket.pause();
    this.stallTimer = setTimeout(this.onStall, this.o.ctx.limits.streamStallMs);
  }

  private onDrain(): void {
    if (!this.paused || this.socket.writableLength > this.o.ctx.limits.streamHighWaterBytes / 2) return;
    this.paused = false;
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.socket.resume();
    this.work();
  }

  private readonly onStall = (): void => {
    this.stallTimer = null;
    this.m.slowConsumerCloses.inc();
    this.o.ctx.metrics.countError('M365FC_ERR_SERVE_SLOW_CONSUMER');
    this.socket.destroy();
  };

  /** The first `n` buffered bytes as one Buffer (a view when they sit in one chunk). */
  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      this.merge();
      const all = this.chunks[0]!;
      out = all.subarray(0, n);
      if (all.length === n) this.chunks = [];
      else this.chunks = [all.subarray(n)];
    }
    this.buffered -= n;
    return out;
  }

  private merge(): void {
    this.chunks = [Buffer.concat(this.chunks, this.buffered)];
  }

  /** Ends the connection after what was written; stops reading. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.socket.pause();
    this.socket.end();
  }

  onClose(): void {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export class BinaryTcpServer {
  private readonly server: Server;
  private readonly connections = new Set<TcpConnection>();

  constructor(o: BinaryTcpOptions) {
    const m = binaryMetricsOf(o.ctx.metrics);
    this.server = createServer((socket) => {
      if (o.ctx.closing) {
        socket.destroy();
        return;
      }
      m.tcpConnections.inc();
      const conn = new TcpConnection(socket, o, m);
      this.connections.add(conn);
      socket.once('close', () => {
        m.tcpConnections.dec();
        conn.onClose();
        this.connections.delete(conn);
      });
    });
  }

  /** Listens; resolves to the port bound (useful with port 0). */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  get listening(): boolean {
    return this.server.listening;
  }

  /** Stops accepting and ends every connection (answers already written are flushed); cuts
   * the ones still open after `graceMs`. */
  close(graceMs: number): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of this.connections) c.end();
    const timer = setTimeout(() => {
      for (const c of this.connections) c.destroy();
    }, graceMs);
    timer.unref();
    return closed.finally(() => clearTimeout(timer));
  }
}
