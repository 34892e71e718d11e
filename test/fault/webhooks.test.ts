import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSender, verifyWebhookSignature, type WebhookOptions, type WebhookReport } from '../../src/follow/webhooks.js';
import { ManualTimers } from './helpers.js';

const SECRET = 'test-secret-1';

interface Received {
  readonly body: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly verified: boolean;
}

/** A webhook receiver on 127.0.0.1 that answers with the statuses it is given (429 with Retry-After: 7), then 204. */
class Receiver {
  readonly app: FastifyInstance;
  readonly received: Received[] = [];
  url = '';
  statuses: number[] = [];
  hold: Promise<void> | null = null;

  constructor(private readonly timers: ManualTimers) {
    this.app = Fastify({ logger: false, forceCloseConnections: true });
    this.app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    this.app.post('/hook', async (req, reply) => {
      const body = req.body as string;
      const ts = req.headers[TIMESTAMP_HEADER] as string | undefined;
      const sig = req.headers[SIGNATURE_HEADER] as string | undefined;
      this.received.push({ body, headers: req.headers, verified: verifyWebhookSignature(SECRET, ts, body, sig, this.timers.now()) });
      if (this.hold) await this.hold;
      const status = this.statuses.shift() ?? 204;
      if (status === 429) reply.header('retry-after', '7');
      return reply.code(status).send();
    });
  }

  async start(): Promise<this> {
    await this.app.listen({ host: '127.0.0.1', port: 0 });
    const a = this.app.server.address();
    if (a === null || typeof a === 'string') throw new Error('no port');
    this.url = `http://127.0.0.1:${a.port}/hook`;
    return this;
  }
}

let timers: ManualTimers;
let receiver: Receiver;
const senders: WebhookSender[] = [];

beforeEach(async () => {
  timers = new ManualTimers();
  receiver = await new Receiver(timers).start();
});

afterEach(async () => {
  for (const s of senders.splice(0)) await s.close();
  await receiver.app.close();
});

function sender(o: Partial<WebhookOptions> = {}): WebhookSender {
  const s = new WebhookSender({ targets: [{ url: receiver.url, secret: SECRET }], timers, random: () => 0.5, ...o });
  senders.push(s);
  return s;
}

const once = <T>(s: WebhookSender, name: string): Promise<T> => new Promise((resolve) => s.once(name, resolve));

describe('webhooks against a real local receiver', () => {
  it('POSTs the event as JSON with a signature the receiver verifies', async () => {
    const s = sender();
    s.send({ event: 'version', version: '2020042800', previous: '2019102800' });
    await s.idle();
    expect(receiver.received).toHaveLength(1);
    const r = receiver.received[0];
    expect(r?.verified).toBe(true);
    expect(JSON.parse(r?.body ?? '')).toEqual({ event: 'version', version: '2020042800', previous: '2019102800' });
    expect(r?.headers['content-type']).toBe('application/json');
    expect(r?.headers['x-m365fc-event']).toBe('version');
    expect(r?.headers['x-m365fc-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(s.stats()).toEqual({ queued: 0, delivered: 1, retries: 0, failed: 0, dropped: 0 });
  });

  it('a wrong secret, a changed body or an old timestamp do not verify', () => {
    const body = '{"event":"version"}';
    const ts = String(Math.floor(timers.now() / 1000));
    const sig = `sha256=${'0'.repeat(64)}`;
    expect(verifyWebhookSignature(SECRET, ts, body, sig, timers.now())).toBe(false);
    const good = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
    expect(verifyWebhookSignature(SECRET, ts, body, good, timers.now())).toBe(true);
    expect(verifyWebhookSignature('other', ts, body, good, timers.now())).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, `${body} `, good, timers.now())).toBe(false);
    expect(verifyWebhookSignature(SECRET, ts, body, good, timers.now() + 3_600_000)).toBe(false);
  });

  it('retries 5xx with back-off, the same delivery id each time, signed anew', async () => {
    receiver.statuses = [500, 503];
    const s = sender({ baseDelayMs: 1000 });
    const retries: WebhookReport[] = [];
    s.on('retry', (r: WebhookReport) => retries.push(r));
    const delivered = once<WebhookReport>(s, 'delivered');
    s.send({ event: 'version', version: '2020042800' });
    await once(s, 'retry');
    expect(retries[0]).toMatchObject({ attempt: 1, status: 500, delayMs: 750 });
    timers.advance(750);
    await once(s, 'retry');
    expect(retries[1]).toMatchObject({ attempt: 2, status: 503, delayMs: 1500 });
    timers.advance(1500);
    expect(await delivered).toMatchObject({ attempt: 3, status: 204 });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers['x-m365fc-delivery'])).size).toBe(1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    expect(s.stats()).toMatchObject({ delivered: 1, retries: 2, failed: 0 });
  });

  it('follows Retry-After on 429', async () => {
    const s = sender();
    receiver.statuses = [429];
    s.send({ event: 'version' });
    const r = await once<WebhookReport & { delayMs: number }>(s, 'retry');
    expect(r.delayMs).toBe(7000);
    timers.advance(7000);
    await s.idle();
    expect(s.stats().delivered).toBe(1);
  });

  it('gives up on a 4xx at once, and on 5xx after maxAttempts', async () => {
    receiver.statuses = [400];
    const s = sender({ maxAttempts: 2 });
    const failed: WebhookReport[] = [];
    s.on('failed', (r: WebhookReport) => failed.push(r));
    s.send({ event: 'version' });
    await s.idle();
    expect(failed[0]).toMatchObject({ attempt: 1, status: 400 });
    receiver.statuses = [500, 500];
    s.send({ event: 'version' });
    await once(s, 'retry');
    timers.advance(10_000);
    await s.idle();
    expect(failed[1]).toMatchObject({ attempt: 2, status: 500 });
    expect(s.stats()).toMatchObject({ delivered: 0, failed: 2 });
  });

  it('retries when the receiver is down', async () => {
    const url = receiver.url;
    await receiver.app.close();
    const s = sender({ targets: [{ url }] });
    s.send({ event: 'version' });
    const r = await once<WebhookReport>(s, 'retry');
    expect(r.status).toBeNull();
    expect(r.error).toBe('ECONNREFUSED');
  });

  it('keeps a bounded queue: the oldest waiting event is dropped, the one in flight is kept', async () => {
    let release = (): void => undefined;
    receiver.hold = new Promise((r) => {
      release = r;
    });
    const s = sender({ maxQueue: 2 });
    const dropped: WebhookReport[] = [];
    s.on('dropped', (r: WebhookReport) => dropped.push(r));
    for (let i = 1; i <= 4; i++) s.send({ event: 'version', n: i });
    expect(s.stats().queued).toBe(2);
    expect(dropped).toHaveLength(2);
    while (receiver.received.length === 0) await new Promise((r) => setImmediate(r));
    receiver.hold = null;
    release();
    await s.idle();
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { n: number }).n)).toEqual([1, 4]);
    expect(s.stats()).toMatchObject({ delivered: 2, dropped: 2 });
  });

  it('sends a target only the events it asked for', async () => {
    const s = sender({ targets: [{ url: receiver.url, secret: SECRET, events: ['refused'] }] });
    s.send({ event: 'version' });
    s.send({ event: 'refused' });
    await s.idle();
    expect(receiver.received.map((r) => r.headers['x-m365fc-event'])).toEqual(['refused']);
  });
});
