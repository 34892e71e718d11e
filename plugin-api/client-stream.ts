/**
 * The typed client's WebSocket stream (GET /v1/stream). It reconnects by itself (exponential
 * back-off), subscribes again to what it was subscribed to, sends again the requests that had no
 * answer, and settles every request in the order it was made.
 */
import { EventEmitter } from 'node:events';
import { WebSocket, type RawData } from 'ws';
import type { ErrorCode, Flow, StreamClassifyResult, StreamVersionEvent } from './types.js';
import { isRecord, M365fcClientError, type ClientErrorCode } from './client-errors.js';
import { defaultScheduler, type ReconnectOptions, type Scheduler, type StreamEventName, type StreamEvents, type StreamOptions } from './client-stream-options.js';

export type { ReconnectOptions, Scheduler, StreamEventName, StreamEvents, StreamOptions } from './client-stream-options.js';

interface Pending {
  readonly id: number;
  readonly message: Record<string, unknown>;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: M365fcClientError) => void;
  sends: number;
  /** The client's own re-subscription: dropped, not sent again, when its connection is lost. */
  readonly internal: boolean;
  /** Sent on the current connection and not answered yet. */
  inFlight: boolean;
  settled: { ok: true; value: unknown } | { ok: false; error: M365fcClientError } | null;
}

function textOf(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

export class ClassifierStream extends EventEmitter<StreamEvents> {
  private ws: WebSocket | null = null;
  private nextId = 1;
  /** Every unsettled request, in the order made; settled ones leave from the front only. */
  private readonly queue: Pending[] = [];
  private readonly byId = new Map<number, Pending>();
  private readonly subscriptions = new Set<StreamEventName>();
  private attempt = 0;
  private cancelTimer: (() => void) | null = null;
  private closing = false;
  private closedPromise: Promise<void> | null = null;
  private readonly reconnect: Required<ReconnectOptions>;
  private readonly maxResends: number;
  private readonly schedule: Scheduler;

  constructor(
    readonly url: string,
    private readonly token: string | undefined,
    options: StreamOptions = {},
  ) {
    super();
    this.reconnect = {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 100,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
      factor: options.reconnect?.factor ?? 2,
      maxAttempts: options.reconnect?.maxAttempts ?? Number.POSITIVE_INFINITY,
    };
    this.maxResends = options.maxResends ?? 3;
    this.schedule = options.scheduler ?? defaultScheduler;
    for (const e of options.subscribe ?? []) this.subscriptions.add(e);
    // Nobody listening for 'error' must not crash the process: failures also reject requests.
    this.on('error', () => undefined);
    this.connect();
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Classifies flows; answers arrive in the order of the calls, across reconnects. */
  classify(flows: readonly Flow[]): Promise<StreamClassifyResult> {
    return this.enqueue({ flows }) as Promise<StreamClassifyResult>;
  }

  /** Subscribes (also after every reconnect); resolves with the events now subscribed. */
  async subscribe(events: readonly StreamEventName[]): Promise<string[]> {
    for (const e of events) this.subscriptions.add(e);
    const ack = (await this.enqueue({ subscribe: [...events] })) as { subscribed: string[] };
    return ack.subscribed;
  }

  async unsubscribe(events: readonly StreamEventName[]): Promise<string[]> {
    for (const e of events) this.subscriptions.delete(e);
    const ack = (await this.enqueue({ unsubscribe: [...events] })) as { subscribed: string[] };
    return ack.subscribed;
  }

  /** Resolves when a connection is open (at once if one is). */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.closing) return Promise.reject(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream is closed'));
    return new Promise((resolve, reject) => {
      const onOpen = (): void => {
        this.off('closed', onClosed);
        resolve();
      };
      const onClosed = (): void => {
        this.off('open', onOpen);
        reject(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream closed before it connected'));
      };
      this.once('open', onOpen);
      this.once('closed', onClosed);
    });
  }

  /** Closes for good; unanswered requests fail with M365FC_ERR_CLIENT_CLOSED. */
  close(): Promise<void> {
    if (this.closedPromise) return this.closedPromise;
    this.closing = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    const ws = this.ws;
    this.closedPromise = new Promise<void>((resolve) => {
      const finish = (): void => {
        this.failAll(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream was closed'));
        this.emit('closed');
        resolve();
      };
      if (ws === null || ws.readyState === WebSocket.CLOSED) return finish();
      ws.once('close', finish);
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    });
    return this.closedPromise;
  }

  private enqueue(message: Record<string, unknown>): Promise<unknown> {
    if (this.closing) return Promise.reject(new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', 'The stream is closed'));
    return new Promise((resolve, reject) => {
      const p: Pending = { id: this.nextId++, message, resolve, reject, sends: 0, internal: false, inFlight: false, settled: null };
      this.queue.push(p);
      this.byId.set(p.id, p);
      if (this.connected) this.send(p);
    });
  }

  private send(p: Pending): void {
    p.sends++;
    p.inFlight = true;
    this.ws!.send(JSON.stringify({ id: p.id, ...p.message }));
  }

  private connect(): void {
    const headers: Record<string, string> = this.token !== undefined ? { authorization: `Bearer ${this.token}` } : {};
    const ws = new WebSocket(this.url, { headers });
    this.ws = ws;
    let refused: M365fcClientError | null = null;
    ws.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let code: ClientErrorCode = 'M365FC_ERR_CLIENT_BAD_RESPONSE';
        let message = `WebSocket upgrade refused with HTTP ${status}`;
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
          if (isRecord(body) && typeof body['code'] === 'string') {
            code = body['code'] as ErrorCode;
            if (typeof body['message'] === 'string') message = body['message'];
          }
        } catch {
          // Not JSON: keep the generic code.
        }
        refused = new M365fcClientError(code, message, status);
        ws.terminate();
      });
    });
    ws.on('open', () => {
      this.attempt = 0;
      if (this.subscriptions.size > 0) this.resubscribe();
      for (const p of this.queue) if (p.settled === null && !p.inFlight) this.send(p);
      this.emit('open');
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.onMessage(textOf(data));
    });
    // 'close' always follows 'error' in ws; all handling is there.
    ws.on('error', () => undefined);
    ws.on('close', (code, reasonBuf) => this.onClose(ws, code, reasonBuf.toString('utf8'), refused));
  }

  /** Subscribes again after a reconnect, ahead of the requests sent again. */
  private resubscribe(): void {
    const noop = (): void => undefined;
    const p: Pending = { id: this.nextId++, message: { subscribe: [...this.subscriptions] }, resolve: noop, reject: noop, sends: 0, internal: true, inFlight: false, settled: null };
    // At the front: its answer comes first, and it must not hold the caller's answers back.
    this.queue.unshift(p);
    this.byId.set(p.id, p);
    this.send(p);
  }

  private onMessage(text: string): void {
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.emit('error', new M365fcClientError('M365FC_ERR_CLIENT_BAD_RESPONSE', 'The server sent a message that is not JSON'));
      return;
    }
    if (!isRecord(msg)) return;
    if (msg['event'] === 'version') {
      this.emit('version', msg as unknown as StreamVersionEvent);
      return;
    }
    const id = msg['id'];
    const p = typeof id === 'number' ? this.byId.get(id) : undefined;
    const err = isRecord(msg['error']) ? msg['error'] : null;
    if (p === undefined) {
      if (err !== null) this.emit('error', new M365fcClientError(String(err['code']) as ErrorCode, String(err['message'] ?? 'stream error')));
      return;
    }
    this.byId.delete(p.id);
    p.inFlight = false;
    p.settled = err !== null ? { ok: false, error: new M365fcClientError(String(err['code']) as ErrorCode, String(err['message'] ?? 'stream error')) } : { ok: true, value: msg };
    this.flush();
  }

  /** Settles, in the order they were made, the requests at the front that have their answer. */
  private flush(): void {
    while (this.queue.length > 0 && this.queue[0]!.settled !== null) {
      const p = this.queue.shift()!;
      const s = p.settled!;
      if (s.ok) p.resolve(s.value);
      else p.reject(s.error);
    }
  }

  private fail(p: Pending, error: M365fcClientError): void {
    this.byId.delete(p.id);
    p.inFlight = false;
    p.settled = { ok: false, error };
  }

  private failAll(error: M365fcClientError): void {
    for (const p of this.queue) if (p.settled === null) this.fail(p, error);
    this.flush();
  }

  private onClose(ws: WebSocket, code: number, reason: string, refused: M365fcClientError | null): void {
    if (this.ws !== ws) return;
    this.ws = null;
    if (this.closing) return;
    // Refused for a reason a retry cannot fix: fail everything and stop.
    if (refused !== null && (refused.statusCode === 401 || refused.statusCode === 403 || refused.statusCode === 404)) {
      this.emit('error', refused);
      this.emit('disconnect', { code, reason, reconnecting: false });
      this.closing = true;
      this.closedPromise = Promise.resolve();
      this.failAll(refused);
      this.emit('closed');
      return;
    }
    for (const p of this.queue) {
      if (p.settled !== null || !p.inFlight) continue;
      p.inFlight = false;
      if (p.internal) {
        this.byId.delete(p.id);
        p.settled = { ok: true, value: null };
        continue;
      }
      // 1009: the message itself is too large; sending it again would loop.
      if (code === 1009) this.fail(p, new M365fcClientError('M365FC_ERR_SERVE_MESSAGE_TOO_LARGE', 'The server closed the stream: a message was too large'));
      else if (p.sends >= this.maxResends) this.fail(p, new M365fcClientError('M365FC_ERR_CLIENT_CLOSED', `No answer after ${p.sends} sends`));
    }
    this.flush();
    this.attempt++;
    const giveUp = this.attempt > this.reconnect.maxAttempts;
    this.emit('disconnect', { code, reason, reconnecting: !giveUp });
    if (giveUp) {
      this.closing = true;
      this.closedPromise = Promise.resolve();
      this.failAll(refused ?? new M365fcClientError('M365FC_ERR_CLIENT_NETWORK', `Could not reconnect after ${this.attempt - 1} attempts`));
      this.emit('closed');
      return;
    }
    const delayMs = Math.min(this.reconnect.maxDelayMs, this.reconnect.initialDelayMs * this.reconnect.factor ** (this.attempt - 1));
    this.emit('reconnecting', { attempt: this.attempt, delayMs });
    this.cancelTimer = this.schedule(() => {
      this.cancelTimer = null;
      if (!this.closing) this.connect();
    }, delayMs);
  }
}
