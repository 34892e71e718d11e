import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, UPDATE_EXIT } from '../../src/cli/commands/update.js';
import { Follower } from '../../src/follow/follower.js';
import { LAST_KNOWN_GOOD_FILE, QUERY_FILE, StateStore } from '../../src/follow/state-store.js';
import { serializeSnapshot } from '../../src/ingest/snapshot-file.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import type { Snapshot } from '../../src/core/types.js';
import { call } from '../integration/helpers.js';
import { captureCli, type CliOutput } from '../support/cli-output.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { LogLines } from '../support/log-lines.js';
import { openFollower, tempDir } from './helpers.js';

/**
 * Issue 16 item 1: whatever reaches the live index from a shared state dir passes the gates of
 * an update (same instance and query, newer, shrink) or is refused with a coded log line; a
 * command that would fill the state dir with another query is refused unless --reset-state-dir.
 */

let fake: FakeUpstream;
let tmp: { dir: string; cleanup: () => void };
let stateDir: string;
const running: Array<{ server: RunningServer; follower: Follower; pool: Pool }> = [];

beforeEach(async () => {
  fake = await FakeUpstream.start();
  tmp = tempDir();
  stateDir = join(tmp.dir, 'state');
});

afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.pool.close();
    await r.server.close();
    await r.follower.stop();
  }
  await fake.close();
  tmp.cleanup();
});

interface Served {
  readonly server: RunningServer;
  readonly follower: Follower;
  readonly pool: Pool;
  readonly log: LogLines;
}

/** What `m365fc serve ARGV` does, on port 0, logging into a LogLines. */
async function serve(argv: string[]): Promise<Served> {
  const { config, follower } = await openFollower(['--port', '0', '--log-level', 'silent', '--state-dir', stateDir, '--upstream', fake.url, ...argv]);
  const server = await startServer(config, { liveIndex: follower.liveIndex, defaultMetrics: false, underPressure: false });
  const log = new LogLines();
  follower.start(log);
  const pool = new Pool(server.url, { connections: 2 });
  running.push({ server, follower, pool });
  return { server, follower, pool, log };
}

function update(...args: string[]): Promise<CliOutput> {
  return captureCli(() => run(['--state-dir', stateDir, '--upstream', fake.url, ...args]));
}

async function classify(pool: Pool, q: string): Promise<Record<string, unknown>> {
  const r = await call(pool, 'GET', `/v1/classify?${q}`);
  expect(r.status).toBe(200);
  return r.body as Record<string, unknown>;
}

const SHAREPOINT = 'host=contoso.sharepoint.com&port=443&protocol=tcp';

/** An IPv6 address inside the first IPv6 prefix of the data in use. */
function ipv6Of(s: Snapshot): string {
  const prefix = s.sets.flatMap((x) => x.ips).find((p) => p.includes(':'));
  if (!prefix) throw new Error('no IPv6 prefix in the data');
  const base = prefix.split('/')[0] as string;
  return base.endsWith('::') ? `${base}1` : base;
}

function writeLkg(s: Snapshot): void {
  writeFileSync(join(stateDir, LAST_KNOWN_GOOD_FILE), serializeSnapshot(s));
}

describe('m365fc update beside a live serve on one state dir', () => {
  it('--service-areas Exchange: refused with a code, nothing written; forced anew, the service refuses it and logs', async () => {
    const a = await serve([]);
    expect(await classify(a.pool, SHAREPOINT)).toMatchObject({ m365: true, category: 'Optimize' });
    const before = readFileSync(join(stateDir, LAST_KNOWN_GOOD_FILE), 'utf8');

    const refused = await update('--service-areas', 'Exchange');
    expect(refused.code).toBe(UPDATE_EXIT.query);
    expect(refused.err).toContain('M365FC_ERR_STORE_QUERY_MISMATCH');
    expect(readFileSync(join(stateDir, LAST_KNOWN_GOOD_FILE), 'utf8')).toBe(before);

    const reset = await update('--service-areas', 'Exchange', '--reset-state-dir');
    expect(reset.code).toBe(UPDATE_EXIT.updated);
    expect(JSON.parse(readFileSync(join(stateDir, QUERY_FILE), 'utf8'))).toMatchObject({ serviceAreas: ['Exchange'] });
    const line = await a.log.waitFor((l) => l.obj['code'] === 'M365FC_ERR_UPDATE_WRONG_QUERY');
    expect(line.level).toBe('warn');
    expect(line.msg).toContain('ServiceAreas=Exchange');
    expect(await classify(a.pool, SHAREPOINT)).toMatchObject({ m365: true, category: 'Optimize' });
    const v = (await call(a.pool, 'GET', '/v1/version')).body as { updater: Record<string, unknown> };
    expect(v.updater).toMatchObject({ reloadsRefused: 1, lastReload: { outcome: 'refused', gate: 'query', errorCode: 'M365FC_ERR_UPDATE_WRONG_QUERY' } });
    const m = await call(a.pool, 'GET', '/metrics');
    expect(m.text).toMatch(/m365fc_updater_status\{field="reloads_refused"\} 1/);

    // The service's own next update does not overwrite the directory now filled with another query.
    fake.advance();
    const r = await a.follower.check();
    expect(r.outcome).toBe('updated');
    expect(r.warnings.map((w) => w.code)).toEqual(['M365FC_ERR_STORE_QUERY_MISMATCH']);
    const lkg = await new StateStore(stateDir).readLastKnownGood();
    expect(lkg?.ok && lkg.value.origin).toContain('ServiceAreas=Exchange');
  });

  it('--no-ipv6: refused; forced anew, IPv6 answers stay', async () => {
    const a = await serve([]);
    const ip = ipv6Of(a.follower.current.snapshot);
    const answer = await classify(a.pool, `ip=${encodeURIComponent(ip)}`);
    expect(answer).toMatchObject({ m365: true });

    expect((await update('--no-ipv6')).code).toBe(UPDATE_EXIT.query);
    expect((await update('--no-ipv6', '--reset-state-dir')).code).toBe(UPDATE_EXIT.updated);
    const line = await a.log.waitFor((l) => l.obj['code'] === 'M365FC_ERR_UPDATE_WRONG_QUERY');
    expect(line.msg).toContain('NoIPv6=true');
    expect(await classify(a.pool, `ip=${encodeURIComponent(ip)}`)).toEqual(answer);
  });

  it('the same query: taken by the service at once, through the gates', async () => {
    const a = await serve([]);
    fake.advance();
    const swapped = new Promise<string>((resolve) => a.follower.liveIndex.once('swap', (e) => resolve(e.current.version)));
    expect((await update()).code).toBe(UPDATE_EXIT.updated);
    expect(await swapped).toBe('2019102800');
    expect(a.follower.liveIndex.meta?.source).toBe('cache');
    await a.log.waitFor((l) => l.msg === 'data updated from the state dir');
  });
});

describe('a snapshot dropped into the state dir', () => {
  it('of another instance is refused and logged', async () => {
    const a = await serve([]);
    const inUse = a.follower.current.snapshot;
    writeLkg({ ...inUse, instance: 'USGovDoD', version: '2030010100', origin: inUse.origin.replace('/Worldwide', '/USGovDoD') });
    const line = await a.log.waitFor((l) => l.obj['code'] === 'M365FC_ERR_UPDATE_WRONG_INSTANCE');
    expect(line.level).toBe('warn');
    expect(a.follower.current.snapshot.version).toBe(inUse.version);
    expect(await classify(a.pool, SHAREPOINT)).toMatchObject({ version: inUse.version, category: 'Optimize' });
  });

  it('of an older version is refused and logged, on SIGHUP too', async () => {
    fake.serve('2019102800');
    const a = await serve([]);
    const older = { ...a.follower.current.snapshot, version: '2019010700' };
    writeLkg(older);
    await a.log.waitFor((l) => l.obj['code'] === 'M365FC_ERR_UPDATE_VERSION_BACKWARDS');
    const again = await a.follower.reload('signal');
    expect(again).toMatchObject({ outcome: 'refused', gate: 'version', errorCode: 'M365FC_ERR_UPDATE_VERSION_BACKWARDS', versionInUse: '2019102800' });
    expect(a.follower.current.snapshot.version).toBe('2019102800');
  });

  it('that loses most of the data is refused by the shrink gate', async () => {
    const a = await serve([]);
    const inUse = a.follower.current.snapshot;
    writeLkg({ ...inUse, version: '2030010100', sets: inUse.sets.slice(0, 3) });
    await a.log.waitFor((l) => l.obj['code'] === 'M365FC_ERR_UPDATE_SHRINK');
    expect(a.follower.current.snapshot.version).toBe(inUse.version);
  });
});

describe('two services with different --service-areas on one state dir', () => {
  it('the second is refused at start; started anew, each serves its own data and refuses the other\'s', async () => {
    const a = await serve([]);
    await expect(serve(['--service-areas', 'Exchange'])).rejects.toMatchObject({ code: 'M365FC_ERR_STORE_QUERY_MISMATCH' });
    const b = await serve(['--service-areas', 'Exchange', '--reset-state-dir']);
    expect(await classify(b.pool, SHAREPOINT)).toMatchObject({ m365: false });
    await a.log.waitFor((l) => l.obj['code'] === 'M365FC_ERR_UPDATE_WRONG_QUERY');
    expect(await classify(a.pool, SHAREPOINT)).toMatchObject({ m365: true, category: 'Optimize' });
    expect(existsSync(join(stateDir, LAST_KNOWN_GOOD_FILE))).toBe(true);
  });
});
