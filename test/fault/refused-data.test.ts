import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseEndpointsResponse } from '../../src/ingest/parse-endpoints.js';
import { readDataFile, serializeSnapshot } from '../../src/ingest/snapshot-file.js';
import { LAST_KNOWN_GOOD_FILE, StateStore } from '../../src/follow/state-store.js';
import { resolveServeConfig } from '../../src/serve/config.js';
import { expandBooleanFlags, FOLLOW_OPTIONS, followConfig } from '../../src/follow/options.js';
import { Follower } from '../../src/follow/follower.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import { call, testConfig } from '../integration/helpers.js';
import { readRealResponse, readRealResponseText } from '../support/data.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { expectResponse } from '../support/openapi.js';
import { tempDir } from './helpers.js';

/**
 * Empty and catch-all data is refused with a code from every source: a --data file, the state
 * dir's last-known-good, upstream (issue 16, item 4). Before, `[]` started and answered every
 * flow `m365: false`, and `0.0.0.0/0` in an Optimize set sent 8.8.8.8 to bypass.
 */

type WireSet = Record<string, unknown>;
const REAL = readRealResponse('worldwide-commit20190109.json') as WireSet[];

/** The real sets with `field` of the first Optimize set extended by `value`. */
function withCatchAll(field: 'ips' | 'urls', value: string): WireSet[] {
  let done = false;
  return REAL.map((s) => {
    if (done || s['category'] !== 'Optimize') return s;
    done = true;
    return { ...s, [field]: [...((s[field] as string[] | undefined) ?? []), value] };
  });
}

const CASES: ReadonlyArray<{ name: string; sets: WireSet[]; code: string }> = [
  { name: 'no sets ([])', sets: [], code: 'M365FC_ERR_INGEST_NO_SETS' },
  { name: '0.0.0.0/0 in an Optimize set', sets: withCatchAll('ips', '0.0.0.0/0'), code: 'M365FC_ERR_INGEST_CATCH_ALL' },
  { name: '::/0 in an Optimize set', sets: withCatchAll('ips', '::/0'), code: 'M365FC_ERR_INGEST_CATCH_ALL' },
  { name: 'the url * in an Optimize set', sets: withCatchAll('urls', '*'), code: 'M365FC_ERR_INGEST_CATCH_ALL' },
  { name: 'the url *.* in an Optimize set', sets: withCatchAll('urls', '*.*'), code: 'M365FC_ERR_INGEST_CATCH_ALL' },
];

/** The data as our snapshot format, written by hand: serializeSnapshot only takes valid data. */
function snapshotText(sets: WireSet[]): string {
  const head = JSON.parse(serializeSnapshot(parseEndpointsResponse(readRealResponseText('worldwide-commit20190109.json'), { version: '2019010700' }))) as Record<string, unknown>;
  return JSON.stringify({ ...head, sets });
}

let tmp: { dir: string; cleanup: () => void };
let fake: FakeUpstream | null = null;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  tmp = tempDir();
});

afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
  await fake?.close();
  fake = null;
  tmp.cleanup();
});

async function follow(argv: string[]): Promise<Follower> {
  const config = resolveServeConfig(expandBooleanFlags(['--port', '0', '--log-level', 'silent', ...argv], FOLLOW_OPTIONS), {}, FOLLOW_OPTIONS);
  const f = followConfig(config.extra, { tenant: config.tenant, data: config.data });
  const follower = await Follower.open({ data: config.data, precedence: config.precedence, follow: f }, { startupTimeoutMs: 5000, headersTimeoutMs: 2000, bodyTimeoutMs: 2000 });
  cleanups.push(() => follower.stop());
  return follower;
}

describe.each(CASES)('$name', ({ sets, code }) => {
  it('as a --data file (a response or a snapshot): refused, the service does not start', async () => {
    for (const [name, text] of [
      ['response.json', JSON.stringify(sets)],
      ['snapshot.json', snapshotText(sets)],
    ] as const) {
      const path = join(tmp.dir, name);
      writeFileSync(path, text);
      expect(() => readDataFile(path)).toThrow(expect.objectContaining({ code }) as Error);
      await expect(startServer(testConfig(['--data', path]), { defaultMetrics: false, underPressure: false })).rejects.toMatchObject({ code });
    }
  });

  it("as the state dir's last-known-good: reported, set aside, not served", async () => {
    const stateDir = join(tmp.dir, 'state');
    await new StateStore(stateDir).init();
    writeFileSync(join(stateDir, LAST_KNOWN_GOOD_FILE), snapshotText(sets));
    // Upstream unreachable: only the state dir and the bootstrap are left.
    const follower = await follow(['--state-dir', stateDir, '--upstream', 'http://127.0.0.1:9']);
    expect(follower.startProblems.map((e) => ({ code: e.code, cause: e.details['cause'] }))).toContainEqual({ code: 'M365FC_ERR_STORE_CORRUPT', cause: code });
    expect(follower.liveIndex.meta?.source).toBe('bootstrap');
    expect(follower.liveIndex.current?.classify({ ip: '8.8.8.8' })).toMatchObject({ m365: false });
  });

  it('from upstream: the update is refused with the code; answers unchanged', async () => {
    fake = await FakeUpstream.start();
    const follower = await follow(['--upstream', fake.url]);
    const server: RunningServer = await startServer(testConfig([]), { liveIndex: follower.liveIndex, defaultMetrics: false, underPressure: false });
    cleanups.unshift(() => server.close());
    const before = follower.liveIndex.current!.version;
    fake.publish('2030010100', sets);
    const refresh = await follower.liveIndex.refresh!();
    expect(refresh).toMatchObject({ status: 'failed', version: before, errorCode: code });
    const pool = new Pool(server.url);
    const r = await call(pool, 'GET', '/v1/classify?ip=8.8.8.8');
    expectResponse('/v1/classify', 'GET', 200, r.body);
    expect(r.body).toMatchObject({ m365: false, version: before });
    const v = await call(pool, 'GET', '/v1/version');
    expect(v.body).toMatchObject({ version: before, updater: { lastErrorCode: code } });
    await pool.close();
  });
});

describe('what stays accepted', () => {
  it('real data, and wildcards with a literal label', () => {
    const ok = [{ id: 1, serviceArea: 'Common', urls: ['*.example.com', 'a*.b'], ips: ['128.0.0.0/1', '::/1'], category: 'Optimize', expressRoute: false, required: true }];
    expect(parseEndpointsResponse(JSON.stringify(ok)).sets).toHaveLength(1);
  });
});
