import WebSocket from 'ws';

export type StreamEvent =
  | { readonly kind: 'message'; readonly text: string; readonly body: unknown; readonly bytes?: Uint8Array }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string }
  | { readonly kind: 'timeout' };

/** A WebSocket to `/v1/stream` that hands out what arrives, one event at a time. */
export class StreamClient {
  private readonly queue: StreamEvent[] = [];
  private waiter: ((e: StreamEvent) => void) | null = null;
  private closed: StreamEvent | null = null;

  private constructor(
    private readonly ws: WebSocket,
    record: ((text: string, body: unknown) => void) | undefined,
  ) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = undefined;
      }
      // Binary frames are the binary protocol's (asyncapi.yaml), not JSON messages to validate.
      if (!isBinary) record?.(text, body);
      if (isBinary) this.push({ kind: 'message', text, body, bytes: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]) });
      else this.push({ kind: 'message', text, body });
    });
    ws.on('close', (code, reason) => {
      this.closed = { kind: 'close', code, reason: reason.toString('utf8') };
      this.push(this.closed);
    });
    ws.on('error', () => undefined);
  }

  /** Opens the socket; resolves to the client, or to the reason it could not open. `record` sees every message. */
  static open(url: string, token: string | undefined, timeoutMs: number, record?: (text: string, body: unknown) => void): Promise<StreamClient | { error: string; status?: number }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, {
        headers: token !== undefined ? { authorization: `Bearer ${token}` } : {},
        handshakeTimeout: timeoutMs,
        maxPayload: 256 * 1024 * 1024,
      });
      const client = new StreamClient(ws, record);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        resolve({ error: `upgrade refused with HTTP ${res.statusCode ?? 0}`, status: res.statusCode ?? 0 });
        ws.terminate();
      });
      ws.once('error', (err: Error & { code?: string }) => resolve({ error: err.code ?? err.message }));
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  private push(e: StreamEvent): void {
    if (this.waiter !== null) {
      const w = this.waiter;
      this.waiter = null;
      w(e);
    } else {
      this.queue.push(e);
    }
  }

  /** The next thing that arrives: a message, the close, or a timeout. */
  next(timeoutMs: number): Promise<StreamEvent> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closed !== null) return Promise.resolve(this.closed);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.waiter = (e) => {
        clearTimeout(timer);
        resolve(e);
      };
    });
  }

  /** Sends text, bytes or a JSON value. A send on a closed socket is dropped (next() tells). */
  send(data: string | Uint8Array | object): void {
    if (!this.isOpen) return;
    if (typeof data === 'string') this.ws.send(data);
    else if (data instanceof Uint8Array) this.ws.send(data, { binary: true });
    else this.ws.send(JSON.stringify(data));
  }

  /** Sends and waits for the next message, skipping pushed events (`{ event }`). */
  async request(data: string | Uint8Array | object, timeoutMs: number): Promise<StreamEvent> {
    this.send(data);
    for (;;) {
      const e = await this.next(timeoutMs);
      if (e.kind === 'message' && typeof e.body === 'object' && e.body !== null && 'event' in e.body) continue;
      return e;
    }
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 1000);
      this.ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.ws.close(1000);
    });
  }
}

/** ws:// or wss:// URL of a path under the target. */
export function streamUrl(target: string, path = '/v1/stream'): string {
  const u = new URL(target);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = `${u.pathname.replace(/\/+$/, '')}${path}`;
  u.search = '';
  return u.toString();
}
