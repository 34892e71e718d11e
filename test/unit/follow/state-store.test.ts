import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { M365Error } from '../../../src/core/errors.js';
import { parseEndpointsResponse } from '../../../src/ingest/parse-endpoints.js';
import { readDataFile } from '../../../src/ingest/snapshot-file.js';
import { INSTALLATION_FILE, LAST_KNOWN_GOOD_FILE, LOCK_FILE, STATUS_FILE, StateStore, writeFileAtomic } from '../../../src/follow/state-store.js';
import { readRealResponseText } from '../../support/data.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const snapshot = parseEndpointsResponse(readRealResponseText('worldwide-commit20200531.json'), {
  version: '2020042800',
  fetchedAt: '2020-05-31T12:00:00.000Z',
  origin: 'http://127.0.0.1:1/endpoints/Worldwide?NoIPv6=true',
});

let dir: string;
let reported: M365Error[];
let store: StateStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'm365fc-state-'));
  reported = [];
  store = new StateStore(join(dir, 'state'), (e) => reported.push(e));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('installation id', () => {
  it('is generated once with randomUUID and kept', async () => {
    const a = await store.installation();
    expect(a.clientRequestId).toMatch(GUID);
    const again = await new StateStore(store.dir).installation();
    expect(again.clientRequestId).toBe(a.clientRequestId);
    const onDisk = JSON.parse(readFileSync(store.path(INSTALLATION_FILE), 'utf8')) as { clientRequestId: string };
    expect(onDisk.clientRequestId).toBe(a.clientRequestId);
  });

  it('is the same for two stores racing on an empty directory', async () => {
    const other = new StateStore(store.dir);
    const [a, b] = await Promise.all([store.installation(), other.installation()]);
    expect(a.clientRequestId).toBe(b.clientRequestId);
    expect(readdirSync(store.dir).sort()).toEqual([INSTALLATION_FILE]);
  });

  it('a corrupt file is reported, set aside and replaced', async () => {
    await store.init();
    writeFileSync(store.path(INSTALLATION_FILE), '{"clientRequestId": "not-a-guid"}');
    const a = await store.installation();
    expect(a.clientRequestId).toMatch(GUID);
    expect(reported.map((e) => e.code)).toEqual(['M365FC_ERR_STORE_CORRUPT']);
    expect(existsSync(`${store.path(INSTALLATION_FILE)}.corrupt`)).toBe(true);
  });
});

describe('last-known-good', () => {
  it('is absent at first', async () => {
    expect(await store.readLastKnownGood()).toBeNull();
    expect(reported).toEqual([]);
  });

  it('round-trips a snapshot, and is a data file --data can read', async () => {
    await store.writeLastKnownGood(snapshot, new Date('2020-06-01T00:00:00Z'));
    const r = await store.readLastKnownGood();
    expect(r?.ok).toBe(true);
    if (!r?.ok) return;
    expect(r.value).toEqual(snapshot);
    expect(readDataFile(store.path(LAST_KNOWN_GOOD_FILE)).sets).toEqual(snapshot.sets);
  });

  it('leaves no temp file behind, and a leftover temp file of a crashed write does not matter', async () => {
    await store.writeLastKnownGood(snapshot);
    writeFileSync(`${store.path(LAST_KNOWN_GOOD_FILE)}.tmp-1-crashed`, '[{"id":');
    await store.writeLastKnownGood({ ...snapshot, version: '2020042801' });
    const names = readdirSync(store.dir).filter((n) => !n.includes('crashed'));
    expect(names).toEqual([LAST_KNOWN_GOOD_FILE]);
    const r = await store.readLastKnownGood();
    expect(r?.ok && r.value.version).toBe('2020042801');
  });

  it('a truncated file is reported as corrupt, set aside and skipped', async () => {
    await store.writeLastKnownGood(snapshot);
    const path = store.path(LAST_KNOWN_GOOD_FILE);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length / 2));
    const r = await store.readLastKnownGood();
    expect(r?.ok).toBe(false);
    if (r?.ok !== false) return;
    expect(r.error.code).toBe('M365FC_ERR_STORE_CORRUPT');
    expect(r.error.details).toMatchObject({ path, cause: 'M365FC_ERR_INGEST_BAD_JSON' });
    expect(reported).toHaveLength(1);
    expect(existsSync(`${path}.corrupt`)).toBe(true);
    expect(await store.readLastKnownGood()).toBeNull();
  });

  it('a file that parses but fails validation is corrupt too, with the ingest code as cause', async () => {
    await store.writeLastKnownGood(snapshot);
    const path = store.path(LAST_KNOWN_GOOD_FILE);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"13.107.6.152/31"', '"13.107.6.153/31"'));
    const r = await store.readLastKnownGood();
    expect(r?.ok === false && r.error.details['cause']).toBe('M365FC_ERR_INGEST_HOST_BITS');
  });

  it('a write to an unusable directory is a coded error', async () => {
    writeFileSync(join(dir, 'file'), '');
    const bad = new StateStore(join(dir, 'file', 'state'));
    await expect(bad.writeLastKnownGood(snapshot)).rejects.toMatchObject({ code: 'M365FC_ERR_STORE_IO' });
    await expect(writeFileAtomic(join(dir, 'file', 'x'), 'x')).rejects.toMatchObject({ code: 'M365FC_ERR_STORE_IO' });
  });
});

describe('updater status', () => {
  it('round-trips', async () => {
    const s = {
      lastAttempt: 1_700_000_000_000,
      lastSuccess: 1_699_999_000_000,
      lastErrorCode: 'M365FC_ERR_UPSTREAM_RATE_LIMITED',
      consecutiveFailures: 2,
      backoffUntil: 1_700_003_600_000,
      refusedVersion: null,
      refusedCode: null,
    };
    await store.writeStatus(s);
    expect(await store.readStatus()).toEqual({ ok: true, value: s });
  });

  it('a corrupt status file is reported and skipped', async () => {
    await store.init();
    writeFileSync(store.path(STATUS_FILE), '{"lastAttempt": "yesterday"}');
    const r = await store.readStatus();
    expect(r?.ok).toBe(false);
    expect(reported.map((e) => e.code)).toEqual(['M365FC_ERR_STORE_CORRUPT']);
  });
});

describe('the poller lock', () => {
  it('is held by one process at a time and released', async () => {
    expect(await store.acquireLock(60_000)).toBe(true);
    expect(await store.holdsLock()).toBe(true);
    expect(await new StateStore(store.dir).acquireLock(60_000)).toBe(false);
    await store.releaseLock();
    expect(await new StateStore(store.dir).acquireLock(60_000)).toBe(true);
  });

  it('a lock of a dead process on this host is taken over', async () => {
    await store.init();
    // pid 2^22 + 1 is above Linux's pid_max limit, so no process has it.
    writeFileSync(store.path(LOCK_FILE), JSON.stringify({ pid: 4_194_305, hostname: hostname(), since: '2025-01-01T00:00:00Z' }));
    expect(await store.acquireLock(60_000)).toBe(true);
  });

  it('a lock of another host is taken over only when not refreshed for the stale time', async () => {
    await store.init();
    writeFileSync(store.path(LOCK_FILE), JSON.stringify({ pid: 1, hostname: 'elsewhere', since: '2025-01-01T00:00:00Z' }));
    expect(await store.acquireLock(60_000)).toBe(false);
    expect(await store.acquireLock(60_000, new Date(Date.now() + 120_000))).toBe(true);
  });
});
