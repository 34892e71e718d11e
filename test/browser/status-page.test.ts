/**
 * The status page (GET /) of a real server on 127.0.0.1 in headless Chromium: what a person sees
 * of the data, the updater and the changes, lookup rates that move when lookups are made, the
 * classify form answering with its explanation, the token prompt, and no CSP violation or script
 * error. With M365FC_DOCS_SCREENSHOTS=1 the README's picture goes to docs/img/status-page.png.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/serve/server.js';
import { startTestServer } from '../integration/helpers.js';
import { HAVE_CHROMIUM, launchChromium, screenshotPath, SKIP_REASON, warnIfNoChromium, type Browser } from './chromium.js';

warnIfNoChromium();

let server: RunningServer;
let browser: Browser;
let pool: Pool;

/** Lookups of each kind, as an edge would make them: n Optimize, n/2 Allow, n/4 other, a few bad. */
async function traffic(n: number): Promise<void> {
  const paths = [
    ...Array.from({ length: n }, () => '/v1/classify?host=outlook.office.com&port=443&protocol=tcp'),
    ...Array.from({ length: n / 2 }, () => '/v1/classify?host=login.microsoftonline.com&port=443&protocol=tcp'),
    ...Array.from({ length: n / 4 }, () => '/v1/classify?ip=8.8.8.8'),
    '/v1/classify?ip=999.1.1.1',
  ];
  await Promise.all(paths.map(async (path) => (await pool.request({ method: 'GET', path })).body.dump()));
}

describe.skipIf(!HAVE_CHROMIUM)(`status page in Chromium${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  beforeAll(async () => {
    server = await startTestServer(['--shutdown-timeout-ms', '200']);
    pool = new Pool(server.url, { connections: 4 });
    // What the updater wiring would publish: one failed attempt after a success, two changes.
    const status = {
      lastAttempt: new Date(Date.now() - 60_000).toISOString(),
      lastSuccess: new Date(Date.now() - 3_600_000).toISOString(),
      lastErrorCode: 'M365FC_ERR_UPSTREAM_TIMEOUT',
      consecutiveFailures: 1,
      stale: false,
      nextCheck: new Date(Date.now() + 3_540_000).toISOString(),
    };
    const changes = [
      { version: '2026100100', previousVersion: '2026090100', publishedAt: new Date(Date.now() - 86_400_000 * 3).toISOString(), totals: { setsAdded: 0, setsRemoved: 0, setsChanged: 2, ipsAdded: 4, ipsRemoved: 1, urlsAdded: 2, urlsRemoved: 0 } },
      { version: '2026110100', previousVersion: '2026100100', publishedAt: new Date(Date.now() - 7_200_000).toISOString(), totals: { setsAdded: 1, setsRemoved: 0, setsChanged: 3, ipsAdded: 12, ipsRemoved: 2, urlsAdded: 3, urlsRemoved: 1 } },
    ];
    server.liveIndex.attach({ updaterStatus: () => status, changes: () => changes, refresh: null });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await pool?.close();
    await server?.close();
  });

  it('shows the data, the updater, the changes, and rates that follow the lookups', async () => {
    const { page, errors, requests } = await browser.page();
    await page.goto(`${server.url}/?poll=300`);
    await expect.poll(() => page.locator('#conn').innerText(), { timeout: 15_000 }).toBe('live, every 0.3 s');
    const version = server.liveIndex.current!.version;

    const data = await page.locator('#data').innerText();
    expect(data).toContain(`Version\n${version}`);
    expect(data).toContain('Source\nbootstrap');
    expect(data).toContain(`Endpoint sets\n${server.liveIndex.current!.snapshot.sets.length}`);
    expect(await page.locator('#version').innerText()).toBe(`Worldwide ${version} · bootstrap`);

    const updater = await page.locator('#updater').innerText();
    expect(updater).toContain('Failures in a row\n1');
    expect(updater).toContain('Last error\nM365FC_ERR_UPSTREAM_TIMEOUT');
    expect(updater).toMatch(/Last success\n(60|1\.0) (min|h) ago/);

    const changes = await page.locator('#changes li').allInnerTexts();
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatch(/^2026110100 from 2026100100, published 2\.0 h ago .*: sets \+1 −0 ~3, prefixes \+12 −2, hosts \+3 −1$/);

    // Lookups: totals count exactly; the rate tiles show a rate above zero while traffic flows.
    await traffic(400);
    // All five read from one render: a render in the middle of the burst shows part of it.
    const totals = () => page.locator('#rates .total').allInnerTexts();
    await expect.poll(totals, { timeout: 10_000 }).toEqual(['400 since start', '200 since start', '0 since start', '100 since start', '1 since start']);
    const rate = async (o: string) => page.locator(`#rates [data-outcome="${o}"] .value`).innerText();
    let sawRate = false;
    for (let round = 0; round < 20 && !sawRate; round++) {
      await traffic(200);
      sawRate = /^[1-9][\d.]*k? \/s$/.test(await rate('Optimize'));
    }
    expect(sawRate).toBe(true);
    expect(await page.locator('#rates [data-outcome="Optimize"] svg polyline').count()).toBe(1);

    expect(errors).toEqual([]);
    expect(requests.every((u) => u.startsWith(server.url))).toBe(true);
    await page.screenshot({ path: screenshotPath('status-page-rates.png'), fullPage: true });
    await page.close();
  }, 90_000);

  it('classifies a flow from the form and explains the answer; a bad flow shows its code', async () => {
    const { page, errors } = await browser.page();
    await page.goto(`${server.url}/?poll=300`);
    // Steady traffic while the page polls, so that the picture shows rates and their lines.
    let flowing = true;
    const loop = (async () => {
      while (flowing) await traffic(100);
    })();
    await expect.poll(() => page.locator('#rates [data-outcome="Optimize"] svg polyline').getAttribute('points').then((p) => (p ?? '').split(' ').length), { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    await page.fill('#classify input[name=host]', 'outlook.office.com');
    await page.fill('#classify input[name=ip]', '40.96.1.1');
    await page.fill('#classify input[name=port]', '443');
    await page.selectOption('#classify select[name=protocol]', 'tcp');
    await page.click('#classify button[type=submit]');
    await expect.poll(() => page.locator('#verdict').innerText().catch(() => ''), { timeout: 10_000 }).toBe('Optimize bypass: send direct, no proxy, no TLS inspection');
    const facts = await page.locator('#answer dl').innerText();
    expect(facts).toContain('Service area\nExchange');
    expect(facts).toContain('Matched by\nhost+ip');
    expect(facts).toContain('Matched\noutlook.office.com');
    const won = await page.locator('#candidates tr.won').allInnerTexts();
    expect(won).toHaveLength(1);
    expect(won[0]).toMatch(/^1\tOptimize\tExchange\thost\toutlook\.office\.com\tyes\twon$/);
    const lost = await page.locator('#candidates tbody tr:not(.won)').allInnerTexts();
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((r) => /host verdict|outranked|not in|lists no/.test(r))).toBe(true);
    await page.screenshot({ path: screenshotPath('status-page.png', { docs: true }), fullPage: true });
    flowing = false;
    await loop;

    await page.fill('#classify input[name=host]', '');
    await page.fill('#classify input[name=ip]', '999.1.1.1');
    await page.click('#classify button[type=submit]');
    await expect.poll(() => page.locator('#answer').innerText(), { timeout: 10_000 }).toContain('M365FC_ERR_FLOW_BAD_IP');
    // Chromium logs every 4xx fetch; the 400 of the bad flow is the only message allowed.
    expect(errors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
    await page.close();
  }, 90_000);

  it('asks for a token when the server needs one, then shows the data', async () => {
    const tokenDir = mkdtempSync(join(tmpdir(), 'm365fc-token-'));
    const tokenFile = join(tokenDir, 'tokens');
    writeFileSync(tokenFile, 'status-page-secret-0123\n');
    // The browser keeps its connections open: do not wait the default 10 s for them at close.
    const locked = await startTestServer(['--token-file', tokenFile, '--shutdown-timeout-ms', '200']);
    try {
      const { page } = await browser.page();
      await page.goto(`${locked.url}/?poll=300`);
      await expect.poll(() => page.locator('#conn').innerText(), { timeout: 10_000 }).toBe('this server needs a token');
      expect(await page.locator('#token-box').isVisible()).toBe(true);
      await page.fill('#token-form input[name=token]', 'status-page-secret-0123');
      await page.click('#token-form button');
      await expect.poll(() => page.locator('#version').innerText(), { timeout: 10_000 }).toContain('bootstrap');
      expect(await page.locator('#token-box').isVisible()).toBe(false);
      await page.close();
    } finally {
      await locked.close();
      rmSync(tokenDir, { recursive: true, force: true });
    }
  }, 60_000);
});
