/**
 * `m365fc serve` with no options follows Microsoft's web service and keeps its state in the
 * default state dir; with no network it still starts, serves the embedded data, and says on
 * /v1/version, /metrics and the status page's /v1/stats that updates fail and why.
 *
 * Nothing here leaves 127.0.0.1: the default upstream is pointed at the local fake (or at a
 * closed local port) with M365FC_UPSTREAM, and HOME / XDG_STATE_HOME at a temporary folder.
 * The built CLI runs as a user runs it: `node dist/src/cli/main.js serve`, no flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/data.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { expectResponse } from '../support/openapi.js';
import { defaultStateDir, expandBooleanFlags, FOLLOW_OPTIONS, followConfig } from '../../src/follow/options.js';
import type { UpdaterStatus } from '../../src/follow/live-index.js';
import { resolveServeConfig } from '../../src/serve/config.js';
import { call, startTestServer } from './helpers.js';

const CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly log: string[];
}

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A local port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Runs `m365fc serve ARGV` with only `env` (plus PATH) and waits for its "serving" log line. */
async function serve(argv: string[], env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'serve', ...argv], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', M365FC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  cleanup.push(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        log.push(line);
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (m) resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log.join('\n')}`)));
  });
  return { child, url, log };
}

function tempHome(): string {
  const dir = mkdtempSync(join(tmpdir(), 'm365fc-home-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function pool(url: string): Promise<Pool> {
  const p = new Pool(url, { connections: 2 });
  cleanup.push(() => p.close());
  return p;
}

describe('m365fc serve with no options', () => {
  it('follows the configured upstream and keeps its state in $XDG_STATE_HOME/m365fc', async () => {
    const fake = await FakeUpstream.start();
    cleanup.push(() => fake.close());
    const latest = fake.serve(2);
    const home = tempHome();
    const { url } = await serve([], { HOME: home, XDG_STATE_HOME: join(home, 'state'), M365FC_UPSTREAM: fake.url, M365FC_MAX_DATA_AGE: '3600' });
    const p = await pool(url);

    const v = await call(p, 'GET', '/v1/version');
    expectResponse('/v1/version', 'GET', 200, v.body);
    expect(v.body).toMatchObject({ version: latest, source: 'live', updater: { consecutiveFailures: 0, lastErrorCode: null, upstream: fake.url } });
    expect(fake.count('version')).toBeGreaterThanOrEqual(1);
    expect(fake.count('endpoints')).toBe(1);

    // The installation's one GUID, kept in the default state dir, is what upstream saw.
    const stateDir = join(home, 'state', 'm365fc');
    const installation = JSON.parse(readFileSync(join(stateDir, 'installation.json'), 'utf8')) as { clientRequestId: string };
    expect(new Set(fake.requests.map((r) => r.clientrequestid))).toEqual(new Set([installation.clientRequestId]));
    expect(existsSync(join(stateDir, 'last-known-good.json'))).toBe(true);

    // Confirmed current a moment ago: ready under --max-data-age 3600.
    const ready = await call(p, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    const metrics = (await call(p, 'GET', '/metrics')).text;
    expect(metrics).toContain(`m365fc_data_version ${Number(latest)}`);
    expect(metrics).toContain(`m365fc_upstream_latest_version ${Number(latest)}`);
    expect(metrics).toMatch(/^m365fc_updater_status\{field="consecutive_failures"\} 0$/m);
  });

  it('without $XDG_STATE_HOME keeps its state in ~/.local/state/m365fc', async () => {
    const fake = await FakeUpstream.start();
    cleanup.push(() => fake.close());
    fake.serve(1);
    const home = tempHome();
    const { url } = await serve([], { HOME: home, M365FC_UPSTREAM: fake.url });
    const p = await pool(url);
    expect((await call(p, 'GET', '/v1/version')).body).toMatchObject({ source: 'live', version: fake.latest });
    expect(existsSync(join(home, '.local', 'state', 'm365fc', 'last-known-good.json'))).toBe(true);
  });

  it('with upstream unreachable: starts, serves the embedded data, and says updates fail and why', async () => {
    const home = tempHome();
    const port = await closedPort();
    const upstream = `http://127.0.0.1:${port}`;
    const { url } = await serve([], { HOME: home, XDG_STATE_HOME: join(home, 'state'), M365FC_UPSTREAM: upstream });
    const p = await pool(url);

    expect((await call(p, 'GET', '/readyz')).status).toBe(200);
    const c = await call(p, 'GET', '/v1/classify?host=outlook.office.com&port=443&protocol=tcp');
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ m365: true, category: 'Optimize', action: 'bypass' });

    const v = await call(p, 'GET', '/v1/version');
    expectResponse('/v1/version', 'GET', 200, v.body);
    const updater = (v.body as { updater: Record<string, unknown> }).updater;
    expect(v.body).toMatchObject({ source: 'bootstrap' });
    expect(updater).toMatchObject({ lastOutcome: 'failed', lastErrorCode: 'M365FC_ERR_UPSTREAM_UNREACHABLE', consecutiveFailures: 1, lastSuccess: null, stale: true });
    expect(String(updater['lastErrorMessage'])).toContain(`${upstream}/version/Worldwide`);
    expect(String(updater['lastErrorMessage'])).toContain('ECONNREFUSED');
    // It retries on the normal schedule: one poll interval (3600 s, plus at most 10 % jitter) later.
    const wait = Date.parse(String(updater['nextCheck'])) - Date.parse(String(updater['lastAttempt']));
    expect(wait).toBeGreaterThanOrEqual(3_600_000);
    expect(wait).toBeLessThanOrEqual(3_960_000);

    const metrics = (await call(p, 'GET', '/metrics')).text;
    expect(metrics).toMatch(/^m365fc_updater_last_error\{code="M365FC_ERR_UPSTREAM_UNREACHABLE"\} 1$/m);
    expect(metrics).toMatch(/^m365fc_updater_status\{field="consecutive_failures"\} 1$/m);
    expect(metrics).toMatch(/^m365fc_data_info\{version="[0-9]{10}",instance="Worldwide",source="bootstrap"\} 1$/m);

    // What the status page draws its alert from (the page itself: test/browser/offline-status.test.ts).
    const stats = await call(p, 'GET', '/v1/stats');
    expect(stats.body).toMatchObject({ data: { source: 'bootstrap' }, updater: { lastErrorCode: 'M365FC_ERR_UPSTREAM_UNREACHABLE', consecutiveFailures: 1 } });
    expect((await call(p, 'GET', '/')).text).toContain('id="update-alert"');

    // Even so the state dir holds the GUID and the failure, for the next start.
    const status = JSON.parse(readFileSync(join(home, 'state', 'm365fc', 'updater-status.json'), 'utf8')) as Record<string, unknown>;
    expect(status).toMatchObject({ lastErrorCode: 'M365FC_ERR_UPSTREAM_UNREACHABLE', consecutiveFailures: 1 });
  });

  it('--offline serves the embedded data, runs no updater and writes no state', async () => {
    const home = tempHome();
    const { url } = await serve(['--offline'], { HOME: home, XDG_STATE_HOME: join(home, 'state') });
    const p = await pool(url);
    const v = await call(p, 'GET', '/v1/version');
    expect(v.body).toMatchObject({ source: 'bootstrap', updater: null });
    expect(existsSync(join(home, 'state'))).toBe(false);
    expect(existsSync(join(home, '.local'))).toBe(false);
    expect((await call(p, 'GET', '/metrics')).text).not.toContain('m365fc_updater_status{');
  });

  it('--offline with --upstream is a usage error, with its code', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--offline', '--upstream', 'http://127.0.0.1:9'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(err).toContain('M365FC_ERR_CONFIG_BAD_OPTION');
    expect(err).toContain('--offline');
  });
});

describe('the follow defaults', () => {
  const resolve = (argv: string[], o: { data?: string | null; defaultStateDir?: string | null } = {}) =>
    followConfig(resolveServeConfig(expandBooleanFlags(argv, FOLLOW_OPTIONS), {}, FOLLOW_OPTIONS).extra, { tenant: null, data: o.data ?? null, defaultStateDir: o.defaultStateDir ?? null });

  it('state dir: $XDG_STATE_HOME/m365fc (absolute only), else ~/.local/state/m365fc', () => {
    const home = (): string => '/home/ops';
    expect(defaultStateDir({ XDG_STATE_HOME: '/srv/state' }, home)).toBe('/srv/state/m365fc');
    expect(defaultStateDir({ XDG_STATE_HOME: 'relative/state' }, home)).toBe('/home/ops/.local/state/m365fc');
    expect(defaultStateDir({}, home)).toBe('/home/ops/.local/state/m365fc');
  });

  it('follows Microsoft unless --offline, or --data without --upstream', () => {
    expect(resolve([], { defaultStateDir: '/d' })).toMatchObject({ upstream: 'https://endpoints.office.com', stateDir: '/d' });
    expect(resolve(['--state-dir', '/given'], { defaultStateDir: '/d' })).toMatchObject({ upstream: 'https://endpoints.office.com', stateDir: '/given' });
    expect(resolve(['--offline'], { defaultStateDir: '/d' })).toMatchObject({ upstream: null, stateDir: null });
    expect(resolve(['--offline', '--state-dir', '/given']).warnings.join()).toContain('not used');
    expect(resolve([], { data: 'f.json', defaultStateDir: '/d' })).toMatchObject({ upstream: null, stateDir: null });
    expect(resolve(['--upstream', 'http://127.0.0.1:1'], { data: 'f.json', defaultStateDir: '/d' })).toMatchObject({ upstream: 'http://127.0.0.1:1', stateDir: '/d' });
  });
});

describe('/readyz with --max-data-age', () => {
  it('fails with M365FC_ERR_SERVE_DATA_TOO_OLD when the data is older, or of unknown age', async () => {
    const server = await startTestServer(['--max-data-age', '600']);
    cleanup.push(() => server.close());
    const p = await pool(server.url);
    // The embedded bootstrap carries no date.
    const unknown = await call(p, 'GET', '/readyz');
    expectResponse('/readyz', 'GET', 503, unknown.body);
    expect(unknown.body).toMatchObject({ code: 'M365FC_ERR_SERVE_DATA_TOO_OLD' });
    expect((unknown.body as { message: string }).message).toContain('unknown age');
    // With an updater, the age is the time since the data was last confirmed current.
    const status = (u: UpdaterStatus): void => server.liveIndex.attach({ updaterStatus: () => u, changes: () => [], refresh: null });
    status({ consecutiveFailures: 0, dataAgeSeconds: 599 });
    expect((await call(p, 'GET', '/readyz')).status).toBe(200);
    status({ consecutiveFailures: 3, dataAgeSeconds: 601 });
    const old = await call(p, 'GET', '/readyz');
    expect(old.status).toBe(503);
    expect((old.body as { message: string }).message).toContain('601 s old');
    // Alive all along: liveness is not readiness.
    expect((await call(p, 'GET', '/healthz')).status).toBe(200);
  });

  it('is off by default: old data stays ready', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    server.liveIndex.attach({ updaterStatus: () => ({ dataAgeSeconds: 10 * 86_400 }), changes: () => [], refresh: null });
    const p = await pool(server.url);
    expect((await call(p, 'GET', '/readyz')).status).toBe(200);
  });
});
