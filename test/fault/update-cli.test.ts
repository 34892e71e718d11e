import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run, UPDATE_EXIT } from '../../src/cli/commands/update.js';
import { StateStore } from '../../src/follow/state-store.js';
import { captureCli, type CliOutput } from '../support/cli-output.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { tempDir } from './helpers.js';

let fake: FakeUpstream;
let tmp: { dir: string; cleanup: () => void };
let stateDir: string;

beforeEach(async () => {
  fake = await FakeUpstream.start();
  tmp = tempDir();
  stateDir = join(tmp.dir, 'state');
});

afterEach(async () => {
  await fake.close();
  tmp.cleanup();
});

function update(...args: string[]): Promise<CliOutput> {
  return captureCli(() => run(['--state-dir', stateDir, '--upstream', fake.url, '--no-ipv6', ...args]));
}

describe('m365fc update', () => {
  it('says with its exit status what happened', async () => {
    const first = await update();
    expect(first.out).toContain('m365fc update: updated 0000000000 -> 2019010700');
    expect(first.code).toBe(UPDATE_EXIT.updated);
    const lkg = await new StateStore(stateDir).readLastKnownGood();
    expect(lkg?.ok && lkg.value.version).toBe('2019010700');

    expect((await update()).code).toBe(UPDATE_EXIT.current);

    fake.advance();
    fake.inject({ kind: 'status', status: 500 }, { on: 'endpoints' });
    const failed = await update();
    expect(failed.code).toBe(UPDATE_EXIT.failed);
    expect(failed.out).toContain('M365FC_ERR_UPSTREAM_SERVER_ERROR');

    const updated = await update('--json');
    expect(updated.code).toBe(UPDATE_EXIT.updated);
    const json = JSON.parse(updated.out) as { outcome: string; diff: { totals: { setsAdded: number } }; status: { versionInUse: string } };
    expect(json).toMatchObject({ outcome: 'updated', diff: { totals: { setsAdded: 3 } }, status: { versionInUse: '2019102800' } });

    fake.reportVersion('2019010700');
    const refused = await update();
    expect(refused.code).toBe(UPDATE_EXIT.refused);
    expect(refused.out).toContain('M365FC_ERR_UPDATE_VERSION_BACKWARDS');
    fake.reportVersion(null);

    fake.advance();
    fake.inject({ kind: 'rate-limit', retryAfter: '3600' }, { on: 'endpoints' });
    expect((await update()).code).toBe(UPDATE_EXIT['rate-limited']);
    // The back-off is kept in the state dir: the next run does not ask.
    const asked = fake.count();
    const during = await update();
    expect(during.code).toBe(UPDATE_EXIT['rate-limited']);
    expect(during.out).toContain('M365FC_ERR_UPDATE_BACKING_OFF');
    expect(fake.count()).toBe(asked);
    expect((await update('--force')).code).toBe(UPDATE_EXIT.updated);
  });

  it('uses the same clientrequestid run after run', async () => {
    await update();
    await update();
    const ids = new Set(fake.requests.map((r) => r.clientrequestid));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toBe((await new StateStore(stateDir).installation()).clientRequestId);
  });

  it('exits 40 when the state dir is unusable, 2 on bad usage', async () => {
    writeFileSync(join(tmp.dir, 'file'), '');
    stateDir = join(tmp.dir, 'file', 'state');
    const r = await update();
    expect(r.code).toBe(UPDATE_EXIT.store);
    expect(r.err).toContain('M365FC_ERR_STORE_IO');
    expect((await update('--service-areas', 'Yammer')).code).toBe(UPDATE_EXIT.usage);
    expect((await update('--max-shrink', '150')).code).toBe(UPDATE_EXIT.usage);
  });
});
