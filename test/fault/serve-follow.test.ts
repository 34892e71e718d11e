import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Pool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LAST_KNOWN_GOOD_FILE, StateStore } from '../../src/follow/state-store.js';
import { Follower } from '../../src/follow/follower.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyWebhookSignature } from '../../src/follow/webhooks.js';
import { call } from '../integration/helpers.js';
import { TestSocket } from '../integration/ws-client.js';
import { realResponsePath } from '../support/data.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { expectResponse } from '../support/openapi.js';
import { ManualTimers, openFollower, tempDir } from './helpers.js';

/** The updater wired into the real service: start order, refresh, history, status, WebSocket and webhook events. */

const ADMIN = 'admin-token-0123456789abcdef';
const SECRET = 'webhook-secret-42';

let fake: FakeUpstream;
let tmp: { dir: string; cleanup: () => void };
let stateDir: string;
const running: Array<{ server: RunningServer | null; follower: Follower; pool: Pool | null }> = [];

beforeEach(async () => {
  fake = await FakeUpstream.start();
  tmp = tempDir();
  stateDir = join(tmp.dir, 'state');
});

afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.pool?.close();
    await r.server?.close();
    await r.follower.stop();
  }
  await fake.close();
  tmp.cleanup();
});

/** What `m365fc serve ARGV` does, with the server on port 0 and silent. */
async function serve(argv: string[], o: { listen?: boolean; timers?: ManualTimers } = {}): Promise<{ server: RunningServer | null; follower: Follower; pool: Pool | null }> {
  const adminFile = join(tmp.dir, 'admin-tokens');
  writeFileSync(adminFile, `${ADMIN}\n`);
  const { config, follower } = await openFollower(['--port', '0', '--log-level', 'silent', '--admin-token-file', adminFile, ...argv], o.timers);
  const entry: { server: RunningServer | null; follower: Follower; pool: Pool | null } = { server: null, follower, pool: null };
  running.push(entry);
  if (o.listen === false) return entry;
  entry.server = await startServer(config, { liveIndex: follower.liveIndex, defaultMetrics: false, underPressure: false });
  follower.start(entry.server.app.log);
  entry.pool = new Pool(entry.server.url, { connections: 2 });
  return entry;
}

const admin = { headers: { authorization: `Bearer ${ADMIN}` } };

describe('start order: last-known-good, then live, then bootstrap', () => {
  it('no state yet, upstream up: live data before the first request', async () => {
    const { follower, pool } = await serve(['--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6']);
    expect(follower.liveIndex.meta?.source).toBe('live');
    const v = await call(pool as Pool, 'GET', '/v1/version');
    expectResponse('/v1/version', 'GET', 200, v.body);
    expect(v.body).toMatchObject({
      version: '2019010700',
      source: 'live',
      updater: { consecutiveFailures: 0, lastErrorCode: null, stale: false, lastOutcome: 'updated', latestSeen: '2019010700', pollIntervalSeconds: 3600, upstream: fake.url },
    });
    const lkg = await new StateStore(stateDir).readLastKnownGood();
    expect(lkg?.ok && lkg.value.version).toBe('2019010700');
  });

  it('state present, upstream down: serves the last-known-good and reports the fault', async () => {
    const first = await serve(['--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6'], { listen: false });
    await first.follower.stop();
    const url = fake.url;
    await fake.close();
    fake = await FakeUpstream.start();
    const { follower, pool } = await serve(['--state-dir', stateDir, '--upstream', url, '--no-ipv6']);
    expect(follower.liveIndex.meta?.source).toBe('cache');
    expect(follower.liveIndex.current?.version).toBe('2019010700');
    const refresh = await call(pool as Pool, 'POST', '/v1/admin/refresh', admin);
    expectResponse('/v1/admin/refresh', 'POST', 200, refresh.body);
    expect(refresh.body).toMatchObject({ status: 'failed', version: '2019010700', errorCode: 'M365FC_ERR_UPSTREAM_UNREACHABLE' });
    const ready = await call(pool as Pool, 'GET', '/readyz');
    expect(ready.body).toMatchObject({ status: 'ready', source: 'cache', updater: { lastErrorCode: 'M365FC_ERR_UPSTREAM_UNREACHABLE', consecutiveFailures: 1 } });
  });

  it('no state, upstream down: the bootstrap', async () => {
    const url = fake.url;
    await fake.close();
    fake = await FakeUpstream.start();
    const { follower } = await serve(['--state-dir', stateDir, '--upstream', url]);
    expect(follower.liveIndex.meta?.source).toBe('bootstrap');
    expect(follower.updater?.status()).toMatchObject({ lastErrorCode: 'M365FC_ERR_UPSTREAM_UNREACHABLE', stale: true });
  });

  it('a corrupt state file is reported and skipped: live data instead', async () => {
    await new StateStore(stateDir).init();
    writeFileSync(join(stateDir, LAST_KNOWN_GOOD_FILE), '{"format":"m365fc-snapshot",');
    const { follower } = await serve(['--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6'], { listen: false });
    expect(follower.startProblems.map((e) => e.code)).toEqual(['M365FC_ERR_STORE_CORRUPT']);
    expect(follower.liveIndex.meta?.source).toBe('live');
  });

  it('--data without --upstream serves the file and polls nothing', async () => {
    const { follower, pool } = await serve(['--data', realResponsePath('worldwide-commit20191124.json'), '--state-dir', stateDir]);
    expect(follower.updater).toBeNull();
    expect(follower.liveIndex.meta?.source).toBe('file');
    const r = await call(pool as Pool, 'POST', '/v1/admin/refresh', admin);
    expect(r.status).toBe(501);
    expect(fake.count()).toBe(0);
  });

  it('--data with --upstream: the file is the starting data', async () => {
    fake.serve('2019102800');
    const { follower } = await serve(['--data', realResponsePath('worldwide-commit20190109.json'), '--upstream', fake.url, '--no-ipv6'], { listen: false });
    expect(follower.liveIndex.current?.version).toBe('2019102800');
    expect(follower.updater?.current.source).toBe('upstream');
  });
});

describe('a running service following upstream', () => {
  it('refresh, history, status and metrics', async () => {
    const { pool } = await serve(['--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6']);
    const p = pool as Pool;
    fake.advance();
    const r = await call(p, 'POST', '/v1/admin/refresh', admin);
    expect(r.body).toEqual({ status: 'updated', version: '2019102800', errorCode: null });
    expect((await call(p, 'POST', '/v1/admin/refresh', admin)).body).toEqual({ status: 'unchanged', version: '2019102800', errorCode: null });

    const changes = await call(p, 'GET', '/v1/changes?since=2019010700');
    expectResponse('/v1/changes', 'GET', 200, changes.body);
    const list = (changes.body as { changes: Array<Record<string, unknown>> }).changes;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ version: '2019102800', previousVersion: '2019010700', totals: { setsAdded: 3, setsRemoved: 3, setsChanged: 21 } });
    expect(((list[0]?.['setsAdded'] as Array<{ upstream: unknown[] }>)[0]?.upstream ?? []).length).toBeGreaterThan(0);
    expect((await call(p, 'GET', '/v1/changes?since=2019102800')).body).toMatchObject({ changes: [] });

    fake.advance();
    fake.inject({ kind: 'status', status: 503 }, { on: 'endpoints' });
    const failed = await call(p, 'POST', '/v1/admin/refresh', admin);
    expect(failed.body).toMatchObject({ status: 'failed', version: '2019102800', errorCode: 'M365FC_ERR_UPSTREAM_SERVER_ERROR' });
    const v = await call(p, 'GET', '/v1/version');
    expectResponse('/v1/version', 'GET', 200, v.body);
    expect(v.body).toMatchObject({ version: '2019102800', updater: { lastErrorCode: 'M365FC_ERR_UPSTREAM_SERVER_ERROR', consecutiveFailures: 1, lastOutcome: 'failed', latestSeen: '2020042800' } });
    expect((v.body as { updater: { lastErrorMessage: string } }).updater.lastErrorMessage).toContain('answered 503');
    const metrics = await call(p, 'GET', '/metrics');
    expect(metrics.text).toMatch(/m365fc_updater_status\{field="consecutive_failures"\} 1/);
    expect(metrics.text).toMatch(/m365fc_updater_status\{field="stale"\} 0/);
    expect(metrics.text).toMatch(/m365fc_updater_status\{field="last_attempt_age_seconds"\} \d/);
    expect(metrics.text).toMatch(/m365fc_updater_last_error\{code="M365FC_ERR_UPSTREAM_SERVER_ERROR"\} 1/);
  });

  it('WebSocket subscribers get the version event', async () => {
    const { server, pool } = await serve(['--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6']);
    const ws = await TestSocket.open((server as RunningServer).url);
    expect(await ws.request({ subscribe: ['version'] })).toMatchObject({ subscribed: ['version'] });
    fake.advance();
    await call(pool as Pool, 'POST', '/v1/admin/refresh', admin);
    const event = (await ws.next()) as Record<string, unknown>;
    expect(event).toMatchObject({ event: 'version', version: '2019102800', previousVersion: '2019010700', source: 'live', instance: 'Worldwide' });
    // the change itself, as /v1/changes keeps it (2019-01 → 2019-11: sets 145-147 added, 4, 7, 25 removed)
    const change = event['change'] as { version: string; previousVersion: string; totals: { setsAdded: number; setsRemoved: number } };
    expect(change).toMatchObject({ version: '2019102800', previousVersion: '2019010700', totals: { setsAdded: 3, setsRemoved: 3 } });
    const history = (await call(pool as Pool, 'GET', '/v1/changes')).body as { changes: unknown[] };
    expect(history.changes.at(-1)).toEqual(change);
    await ws.close();
  });

  it('webhooks get the version event, signed', async () => {
    const received: Array<{ body: string; verified: boolean }> = [];
    const receiver: FastifyInstance = Fastify({ logger: false });
    receiver.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    receiver.post('/hook', async (req, reply) => {
      const body = req.body as string;
      received.push({ body, verified: verifyWebhookSignature(SECRET, req.headers[TIMESTAMP_HEADER] as string, body, req.headers[SIGNATURE_HEADER] as string) });
      return reply.code(204).send();
    });
    await receiver.listen({ host: '127.0.0.1', port: 0 });
    try {
      const addr = receiver.server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no port');
      const secretFile = join(tmp.dir, 'secret');
      writeFileSync(secretFile, `${SECRET}\n`);
      const { follower, pool } = await serve([
        '--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6',
        '--webhook', `http://127.0.0.1:${addr.port}/hook`, '--webhook-secret-file', secretFile,
      ]);
      await follower.webhooks?.idle();
      fake.advance();
      await call(pool as Pool, 'POST', '/v1/admin/refresh', admin);
      await follower.webhooks?.idle();
      const events = received.map((r) => JSON.parse(r.body) as { event: string; version: string; previousVersion: string; diff: { totals: unknown } });
      expect(events.map((e) => [e.event, e.version, e.previousVersion])).toEqual([
        ['version', '2019010700', '0000000000'],
        ['version', '2019102800', '2019010700'],
      ]);
      expect(events[1]?.diff.totals).toMatchObject({ setsAdded: 3, setsRemoved: 3 });
      expect(received.every((r) => r.verified)).toBe(true);
    } finally {
      await receiver.close();
    }
  });
});

describe('processes sharing a state dir', () => {
  it('one polls, the others follow its last-known-good and take over when it stops', async () => {
    const timers = new ManualTimers(Date.now());
    const args = ['--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6'];
    const a = await serve(args, { listen: false, timers });
    const b = await serve(args, { listen: false, timers });
    expect(a.follower.polls).toBe(true);
    expect(b.follower.polls).toBe(false);
    expect(b.follower.liveIndex.meta?.source).toBe('cache');
    expect(b.follower.liveIndex.current?.version).toBe('2019010700');
    a.follower.start();
    b.follower.start();
    const asked = fake.count();

    fake.advance();
    const swapped = new Promise<string>((resolve) => b.follower.liveIndex.once('swap', (e) => resolve(e.current.version)));
    expect((await a.follower.updater?.check())?.outcome).toBe('updated');
    expect(await swapped).toBe('2019102800');
    expect(b.follower.liveIndex.meta?.source).toBe('cache');
    const changes = b.follower.liveIndex.changes ?? [];
    expect(changes.at(-1)).toMatchObject({ version: '2019102800', previousVersion: '2019010700', totals: { setsAdded: 3 } });
    // b asked nothing itself; its status is the poller's.
    expect(fake.requests.slice(asked).every((r) => r.clientrequestid === fake.requests[0]?.clientrequestid)).toBe(true);
    expect(fake.count()).toBe(asked + 3);
    const pollerStatus = a.follower.updater?.status().lastSuccess;
    for (let i = 0; i < 100 && b.follower.updater?.status().lastSuccess !== pollerStatus; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.follower.updater?.status().lastSuccess).toBe(pollerStatus);

    await a.follower.stop();
    timers.advance(60_000);
    for (let i = 0; i < 50 && !b.follower.polls; i++) await new Promise((r) => setTimeout(r, 10));
    expect(b.follower.polls).toBe(true);
    expect(b.follower.updater?.status().running).toBe(true);
  });
});
