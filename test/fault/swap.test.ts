import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, type Classifier } from '../../src/index.js';
import { FOLLOW_OPTIONS, followConfig } from '../../src/follow/options.js';
import { Follower } from '../../src/follow/follower.js';
import { resolveServeConfig } from '../../src/serve/config.js';
import { startServer, type RunningServer } from '../../src/serve/server.js';
import type { Flow } from '../../src/core/types.js';
import { query, sampleFlows } from '../integration/helpers.js';
import { FakeUpstream, REAL_VERSIONS } from '../support/fake-upstream.js';
import { tempDir } from './helpers.js';

/**
 * Hot swap under load: lookups run against the real server (undici, 8 connections, single and
 * batch requests) while three new versions are published through the updater. No request may
 * fail, and every answer must equal the engine's answer for the version it reports.
 */

const ADMIN = 'admin-token-0123456789abcdef';
const BATCH = 64;

let fake: FakeUpstream;
let tmp: { dir: string; cleanup: () => void };
let follower: Follower;
let server: RunningServer;
const engines = new Map<string, Classifier>();

beforeAll(async () => {
  fake = await FakeUpstream.start();
  tmp = tempDir();
  // The engine of each version, built here from what the fake serves, independently of the service.
  for (const v of REAL_VERSIONS) {
    fake.serve(v.version);
    const res = await request(`${fake.url}/endpoints/Worldwide?NoIPv6=true&clientrequestid=00000000-0000-4000-8000-000000000000`);
    engines.set(v.version, createClassifier(await res.body.json(), { version: v.version }));
  }
  fake.serve(0);
  const adminFile = join(tmp.dir, 'admin');
  writeFileSync(adminFile, `${ADMIN}\n`);
  const config = resolveServeConfig(
    ['--port', '0', '--log-level', 'silent', '--admin-token-file', adminFile, '--state-dir', join(tmp.dir, 'state'), '--upstream', fake.url, '--no-ipv6=true'],
    {},
    FOLLOW_OPTIONS,
  );
  follower = await Follower.open({ data: null, precedence: config.precedence, follow: followConfig(config.extra, { tenant: null, data: null }) });
  // Load shedding is off: a loaded CI machine must not turn a swap test into an overload test.
  server = await startServer(config, { liveIndex: follower.liveIndex, defaultMetrics: false, underPressure: false });
});

afterAll(async () => {
  await server.close();
  await follower.stop();
  await fake.close();
  tmp.cleanup();
});

interface Seen {
  readonly flow: Flow;
  readonly answer: Record<string, unknown>;
}

describe('hot swap under load', () => {
  it('three swaps, no failed request, every answer the engine answer of its version', async () => {
    expect(server.liveIndex.current?.version).toBe(REAL_VERSIONS[0]?.version);
    const flows = [...new Set([...engines.values()].flatMap((e) => sampleFlows(e.snapshot)).map((f) => JSON.stringify(f)))].map(
      (f) => JSON.parse(f) as Flow,
    );
    const pool = new Pool(server.url, { connections: 8, pipelining: 1 });
    const seen: Seen[] = [];
    const failures: string[] = [];
    let done = false;
    let requests = 0;

    const worker = async (w: number): Promise<void> => {
      for (let i = w; !done; i += 8) {
        const batch = i % 4 === 0;
        try {
          if (batch) {
            const part = Array.from({ length: BATCH }, (_x, k) => flows[(i * BATCH + k) % flows.length] as Flow);
            const res = await pool.request({ method: 'POST', path: '/v1/classify', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ flows: part }) });
            const body = (await res.body.json()) as { version: string; results: Array<Record<string, unknown>> };
            if (res.statusCode !== 200) failures.push(`batch ${res.statusCode}`);
            else body.results.forEach((answer, k) => seen.push({ flow: part[k] as Flow, answer }));
          } else {
            const flow = flows[i % flows.length] as Flow;
            const res = await pool.request({ method: 'GET', path: `/v1/classify?${query({ ...flow })}` });
            const answer = (await res.body.json()) as Record<string, unknown>;
            if (res.statusCode !== 200) failures.push(`single ${res.statusCode} ${JSON.stringify(answer)}`);
            else seen.push({ flow, answer });
          }
        } catch (err) {
          failures.push(String(err));
        }
        requests++;
      }
    };

    const until = async (n: number): Promise<void> => {
      const target = requests + n;
      while (requests < target) await new Promise((r) => setTimeout(r, 5));
    };

    const load = Array.from({ length: 8 }, (_x, w) => worker(w));
    const admin = new Pool(server.url, { connections: 1 });
    const swapped: string[] = [];
    for (let k = 1; k < REAL_VERSIONS.length; k++) {
      await until(150);
      fake.advance();
      const res = await admin.request({ method: 'POST', path: '/v1/admin/refresh', headers: { authorization: `Bearer ${ADMIN}` } });
      const body = (await res.body.json()) as { status: string; version: string };
      expect(body.status).toBe('updated');
      swapped.push(body.version);
    }
    await until(150);
    done = true;
    await Promise.all(load);
    await admin.close();
    await pool.close();

    expect(swapped).toEqual(REAL_VERSIONS.slice(1).map((v) => v.version));
    expect(failures).toEqual([]);
    const versions = new Map<string, number>();
    let mismatches = 0;
    for (const s of seen) {
      const v = s.answer['version'] as string;
      versions.set(v, (versions.get(v) ?? 0) + 1);
      const engine = engines.get(v);
      if (!engine) throw new Error(`answer of unknown version ${v}`);
      const want = JSON.parse(JSON.stringify(engine.classify(s.flow))) as unknown;
      if (JSON.stringify(want) !== JSON.stringify(s.answer)) {
        mismatches++;
        if (mismatches < 5) expect(s.answer, JSON.stringify(s.flow)).toEqual(want);
      }
    }
    expect(mismatches).toBe(0);
    expect([...versions.keys()].sort()).toEqual(REAL_VERSIONS.map((v) => v.version));
    expect(seen.length).toBeGreaterThan(600 * BATCH / 4);
  });
});
