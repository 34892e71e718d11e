/**
 * report.html in headless Chromium: what a person sees on the page made from the log of known
 * contents (test/support/analyze-fixture.ts), that it fetches nothing, runs no script, and shows a
 * hostile site name as text. With M365FC_DOCS_SCREENSHOTS=1 the README's picture of a report on a
 * realistic generated log is written to docs/img/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../src/analyze/analyze-logs.js';
import { fileInput } from '../../src/analyze/open-input.js';
import { renderReport } from '../../src/analyze/report-html.js';
import { createClassifier, loadBootstrapSnapshot } from '../../src/index.js';
import { FIXTURE_SETS, fixtureLog } from '../support/analyze-fixture.js';
import { writeFlowLog } from '../support/analyze-log-gen.js';
import { HAVE_CHROMIUM, launchChromium, screenshotPath, SKIP_REASON, warnIfNoChromium, type Browser } from './chromium.js';

warnIfNoChromium();

const dir = mkdtempSync(join(tmpdir(), 'm365fc-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let browser: Browser;

async function writeReport(name: string, logText: string): Promise<string> {
  const log = join(dir, `${name}.csv`);
  writeFileSync(log, logText);
  const s = await analyzeLogs([fileInput(log)], { classifier: createClassifier(FIXTURE_SETS, { version: '2026110100' }), now: () => Date.parse('2026-11-02T10:00:00Z') });
  const html = join(dir, `${name}.html`);
  writeFileSync(html, renderReport(s));
  return html;
}

describe.skipIf(!HAVE_CHROMIUM)(`report.html in Chromium${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the headline figures, the charts, the unseen required sets and the bad lines', async () => {
    const html = await writeReport('fixture', fixtureLog('csv').text);
    const { page, errors, requests } = await browser.page();
    await page.goto(`file://${html}`);
    await expect.poll(() => page.title()).toBe('Microsoft 365 traffic assessment');

    // The four tiles at the top, as a person reads them.
    expect(await page.locator('#tile-flows .tile-value').innerText()).toBe('41');
    expect(await page.locator('#tile-m365 .tile-value').innerText()).toBe('33.7%'); // (74,064 - 49,100) / 74,064
    expect(await page.locator('#tile-local .tile-value').innerText()).toBe('33.3%'); // 24,664 / 74,064
    expect(await page.locator('#tile-proxy .tile-value').innerText()).toBe('77.7%'); // 18,000 / 23,164
    expect(await page.locator('#tile-proxy .tile-note').innerText()).toBe('14 flows, 18.0 kB');

    // Category table and the bytes bar: four segments whose widths follow the bytes.
    const rows = await page.locator('#by-category table tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t'))).toEqual([
      ['Optimize', '24', '58.5%', '23.2 kB', '31.3%'],
      ['Allow', '5', '12.2%', '1.50 kB', '2.0%'],
      ['Default', '3', '7.3%', '300 B', '0.4%'],
      ['Not Microsoft 365', '9', '22.0%', '49.1 kB', '66.3%'],
    ]);
    const bar = page.locator('svg[aria-label="Bytes by category"]');
    await expect.poll(() => bar.isVisible()).toBe(true);
    const segs = await bar.locator('rect').evaluateAll((rs) => rs.map((r) => [r.getAttribute('data-label'), Number(r.getAttribute('width'))]));
    expect(segs.map((s) => s[0])).toEqual(['Optimize', 'Allow', 'Default', 'Not Microsoft 365']);
    const total = segs.reduce((a, s) => a + Number(s[1]), 0);
    expect(Number(segs[3]![1]) / total).toBeCloseTo(49_100 / 74_064, 2);
    expect(await bar.locator('rect').first().locator('title').textContent()).toBe('Optimize: 24 flows, 23.2 kB');

    // The local breakout ring says the same share, and the Optimize-by-path bars name the paths.
    expect(await page.locator('#local-breakout svg text').first().textContent()).toBe('33.3%');
    expect(await page.locator('#optimize-via-proxy').innerText()).toContain('77.7% of Optimize traffic');
    const labels = (selector: string): Promise<Array<string | null | undefined>> =>
      page.locator(`${selector} g.row > text:first-of-type`).evaluateAll((ts) => ts.map((t) => t.lastChild?.textContent));
    expect(await labels('#local-breakout svg[aria-label="Optimize bytes by path"]')).toEqual(['proxy', 'vpn', 'direct', '(not stated)']);

    // Service areas, sites, top lists, in order.
    expect(await labels('#by-service-area')).toEqual(['Exchange Online', 'Microsoft Teams', 'SharePoint Online and OneDrive for Business', 'Microsoft 365 Common and Office Online']);
    expect(await labels('#by-site svg')).toEqual(['hq', 'branch-1', '(no site)']);
    expect(await labels('#top-m365 svg[aria-label^="Top Microsoft 365 hosts"]')).toEqual(['outlook.office.com', 'contoso.sharepoint.com', 'login.microsoftonline.com', 'cdn.msocdn.com']);
    expect(await labels('#top-m365 svg[aria-label^="Top Microsoft 365 prefixes"]')).toEqual(['52.112.0.0/14', '13.107.136.0/22', '40.96.0.0/13']);
    expect(await labels('#top-other')).toEqual(['www.example.com', '198.51.100.7']);

    // Endpoint sets: 5 of 7 seen, the two required ones never seen listed with examples.
    expect(await page.locator('#endpoint-sets p').first().innerText()).toBe('5 of 7 endpoint sets were seen; 2 required sets were never seen.');
    const unseen = await page.locator('#required-not-seen + p + table tbody tr').allInnerTexts();
    expect(unseen.map((r) => r.split('\t').slice(0, 3))).toEqual([
      ['6', 'Exchange', 'Allow'],
      ['7', 'Common', 'Default'],
    ]);
    expect(unseen[0]).toContain('*.protection.outlook.com');
    // The sets seen are folded away until asked for.
    expect(await page.locator('#sets-seen summary').innerText()).toBe('Sets seen (5)');
    expect(await page.locator('#sets-seen table').isVisible()).toBe(false);
    await page.click('#sets-seen summary');
    expect(await page.locator('#sets-seen tbody tr').allInnerTexts()).toHaveLength(5);

    // Bad lines: the count, and each sample with its line number.
    expect(await page.locator('#bad-lines p').first().innerText()).toBe('7 lines could not be used (14.6% of records).');
    const samples = await page.locator('#bad-lines table.samples tbody tr').allInnerTexts();
    expect(samples).toHaveLength(7);
    expect(samples[0]!.split('\t').slice(1, 3)).toEqual([String(fixtureLog('csv').badAt[0]!.line), 'M365FC_ERR_FLOW_BAD_IP']);

    // Nothing fetched, no script, no error.
    expect(requests.every((u) => u.startsWith('file://'))).toBe(true);
    expect(await page.locator('script').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.screenshot({ path: screenshotPath('analyze-report-fixture.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('shows a hostile site name and path as text', async () => {
    const evil = '<img src=x onerror="document.title=1">';
    const html = await writeReport('evil', `site,ip,bytes,via\n${evil},40.96.1.1,10,<b>proxy</b>\n`);
    const { page, errors } = await browser.page();
    let dialog = false;
    page.on('dialog', (d) => {
      dialog = true;
      void d.dismiss();
    });
    await page.goto(`file://${html}`);
    expect(await page.locator('#by-site').innerText()).toContain(evil);
    expect(await page.locator('#local-breakout').innerText()).toContain('<b>proxy</b>');
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('b', { hasText: 'proxy' }).count()).toBe(0);
    expect(await page.title()).toBe('Microsoft 365 traffic assessment');
    expect(dialog).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it.runIf(process.env['M365FC_DOCS_SCREENSHOTS'] === '1')(
    'docs/img/analyze-report.png: a report on a generated log of 200,000 flows from five sites',
    async () => {
      const log = join(dir, 'demo.csv');
      const sets = loadBootstrapSnapshot().sets;
      // Three required sets get no traffic, as in a network that blocks or misses them.
      const omitSets = sets.filter((x) => x.required).slice(-3).map((x) => x.id);
      await writeFlowLog(log, sets, { lines: 200_000, omitSets });
      const s = await analyzeLogs([fileInput(log)], { classifier: createClassifier(loadBootstrapSnapshot()) });
      const html = join(dir, 'demo.html');
      writeFileSync(html, renderReport({ ...s, inputs: s.inputs.map((i) => ({ ...i, name: 'flows.csv' })) }));
      const { page } = await browser.page();
      await page.goto(`file://${html}`);
      await page.screenshot({ path: screenshotPath('analyze-report.png', { docs: true }), fullPage: true });
      await page.close();
    },
    120_000,
  );
});
