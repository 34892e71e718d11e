import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Agent, request, type Dispatcher } from 'undici';
import { systemTimers, type Timers } from './timers.js';

/**
 * Sends change events to configured webhooks: POST, JSON, signed with HMAC-SHA256, retried with
 * exponential back-off, one bounded queue per target (the oldest waiting event is dropped when it
 * is full), delivered in order per target.
 *
 * Headers: x-m365fc-event (event name), x-m365fc-delivery (a GUID, the same on every retry),
 * x-m365fc-timestamp (unix seconds of this attempt), and with a secret
 * x-m365fc-signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>. Receivers check it
 * with verifyWebhookSignature and refuse timestamps far from their clock (replays).
 *
 * Events: 'delivered', 'retry', 'failed', 'dropped' (each with a WebhookReport).
 */

export interface WebhookTarget {
  readonly url: string;
  readonly secret?: string | undefined;
  /** Event names to send; default all. */
  readonly events?: readonly string[] | undefined;
}

export interface WebhookEvent {
  readonly event: string;
  readonly [field: string]: unknown;
}

export interface WebhookOptions {
  readonly targets: readonly WebhookTarget[];
  readonly dispatcher?: Dispatcher | undefined;
  /** Events waiting per target, the one in flight included. */
  readonly maxQueue?: number | undefined;
  readonly maxAttempts?: number | undefined;
  readonly baseDelayMs?: number | undefined;
  readonly maxDelayMs?: number | undefined;
  readonly timeoutMs?: number | undefined;
  readonly timers?: Timers | undefined;
  readonly random?: (() => number) | undefined;
}

export interface WebhookReport {
  readonly url: string;
  readonly event: string;
  readonly delivery: string;
  readonly attempt: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly delayMs?: number;
}

export interface WebhookStats {
  readonly queued: number;
  readonly delivered: number;
  readonly retries: number;
  readonly failed: number;
  readonly dropped: number;
}

export const SIGNATURE_HEADER = 'x-m365fc-signature';
export const TIMESTAMP_HEADER = 'x-m365fc-timestamp';

export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers: true when `signature` is ours for this body and the timestamp is within `toleranceSec`. */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | undefined,
  body: string,
  signature: string | undefined,
  nowMs: number = Date.now(),
  toleranceSec = 300,
): boolean {
  if (timestamp === undefined || signature === undefined || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > toleranceSec) return false;
  const want = Buffer.from(signWebhook(secret, timestamp, body));
  const got = Buffer.from(signature);
  return want.length === got.length && timingSafeEqual(want, got);
}

interface Delivery {
  readonly id: string;
  readonly event: string;
  readonly body: string;
}

interface Queue {
  readonly target: WebhookTarget;
  readonly items: Delivery[];
  busy: boolean;
}

export class WebhookSender extends EventEmitter {
  private readonly queues: Queue[];
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly maxQueue: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly timers: Timers;
  private readonly random: () => number;
  private closed = false;
  private readonly waits = new Set<{ handle: unknown; resolve: () => void }>();
  private idleWaiters: Array<() => void> = [];
  private counts = { delivered: 0, retries: 0, failed: 0, dropped: 0 };

  constructor(o: WebhookOptions) {
    super();
    for (const t of o.targets) {
      const u = new URL(t.url);
      if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TypeError(`webhook URL must be http(s): ${t.url}`);
    }
    this.queues = o.targets.map((target) => ({ target, items: [], busy: false }));
    this.maxQueue = Math.max(1, o.maxQueue ?? 100);
    this.maxAttempts = Math.max(1, o.maxAttempts ?? 8);
    this.baseDelayMs = o.baseDelayMs ?? 1000;
    this.maxDelayMs = o.maxDelayMs ?? 300_000;
    this.timeoutMs = o.timeoutMs ?? 10_000;
    this.timers = o.timers ?? systemTimers;
    this.random = o.random ?? Math.random;
    this.ownsDispatcher = o.dispatcher === undefined;
    this.dispatcher = o.dispatcher ?? new Agent({ connect: { timeout: this.timeoutMs }, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs });
  }

  get size(): number {
    return this.queues.length;
  }

  /** Queues `event` for every target that wants it; returns at once. */
  send(event: WebhookEvent): void {
    if (this.closed) return;
    const body = JSON.stringify(event);
    for (const q of this.queues) {
      if (q.target.events !== undefined && !q.target.events.includes(event.event)) continue;
      const d: Delivery = { id: randomUUID(), event: event.event, body };
      if (q.items.length >= this.maxQueue) {
        // The oldest waiting one goes (not the one in flight): the newest state matters most.
        const dropped = q.items.splice(q.busy ? 1 : 0, 1)[0];
        this.counts.dropped++;
        if (dropped) this.emit('dropped', this.report(q, dropped, 0, null, 'queue full'));
      }
      q.items.push(d);
      void this.pump(q);
    }
  }

  stats(): WebhookStats {
    return { queued: this.queues.reduce((n, q) => n + q.items.length, 0), ...this.counts };
  }

  /** Resolves when every queue is empty (tests, shutdown). */
  idle(): Promise<void> {
    if (this.queues.every((q) => !q.busy && q.items.length === 0)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending; events still queued are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waits) {
      this.timers.clearTimeout(w.handle);
      w.resolve();
    }
    this.waits.clear();
    for (const q of this.queues) q.items.length = 0;
    if (this.ownsDispatcher) await this.dispatcher.close();
    this.settle();
  }

  private async pump(q: Queue): Promise<void> {
    if (q.busy) return;
    q.busy = true;
    try {
      while (!this.closed && q.items.length > 0) {
        const d = q.items[0] as Delivery;
        await this.deliver(q, d);
        if (q.items[0] === d) q.items.shift();
      }
    } finally {
      q.busy = false;
      this.settle();
    }
  }

  private async deliver(q: Queue, d: Delivery): Promise<void> {
    for (let attempt = 1; !this.closed; attempt++) {
      const { status, error, retryAfterMs } = await this.post(q.target, d);
      if (status !== null && status >= 200 && status < 300) {
        this.counts.delivered++;
        this.emit('delivered', this.report(q, d, attempt, status, null));
        return;
      }
      const retriable = status === null || status === 408 || status === 429 || status >= 500;
      if (!retriable || attempt >= this.maxAttempts) {
        this.counts.failed++;
        this.emit('failed', this.report(q, d, attempt, status, error));
        return;
      }
      const backoff = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
      // Half fixed, half random: receivers that failed together do not get retried together.
      const delayMs = Math.round(Math.min(this.maxDelayMs, retryAfterMs ?? backoff * (0.5 + this.random() / 2)));
      this.counts.retries++;
      this.emit('retry', { ...this.report(q, d, attempt, status, error), delayMs });
      await this.sleep(delayMs);
    }
  }

  private async post(t: WebhookTarget, d: Delivery): Promise<{ status: number | null; error: string | null; retryAfterMs: number | null }> {
    const timestamp = String(Math.floor(this.timers.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'm365-flow-classifier',
      'x-m365fc-event': d.event,
      'x-m365fc-delivery': d.id,
      [TIMESTAMP_HEADER]: timestamp,
    };
    if (t.secret !== undefined && t.secret !== '') headers[SIGNATURE_HEADER] = signWebhook(t.secret, timestamp, d.body);
    try {
      const res = await request(t.url, {
        method: 'POST',
        body: d.body,
        headers,
        dispatcher: this.dispatcher,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      await res.body.dump();
      const ra = res.headers['retry-after'];
      const raText = Array.isArray(ra) ? ra[0] : ra;
      const retryAfterMs = raText !== undefined && /^\d+$/.test(raText) ? Number(raText) * 1000 : null;
      return { status: res.statusCode, error: res.statusCode >= 300 ? `HTTP ${res.statusCode}` : null, retryAfterMs };
    } catch (err) {
      const e = err as { code?: string; message?: string };
      return { status: null, error: e.code ?? e.message ?? String(err), retryAfterMs: null };
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const w = {
        handle: null as unknown,
        resolve: () => {
          this.waits.delete(w);
          resolve();
        },
      };
      w.handle = this.timers.setTimeout(w.resolve, ms);
      this.waits.add(w);
    });
  }

  private report(q: Queue, d: Delivery, attempt: number, status: number | null, error: string | null): WebhookReport {
    return { url: q.target.url, event: d.event, delivery: d.id, attempt, status, error };
  }

  private settle(): void {
    if (!this.queues.every((q) => !q.busy && q.items.length === 0)) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
