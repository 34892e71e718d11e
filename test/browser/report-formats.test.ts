/**
 * report.html in headless Chromium for a log that writes one record per direction (nfdump -o csv
 * of unidirectional NetFlow, test/fixtures/flow-logs/nfdump/flows.csv, Microsoft's 2020-05 data):
 * the replies are joined to their requests, so the local-breakout share is the connections'
 * (80,000 of 86,000 bytes = 93.0%), not the 45% that counting replies as "not Microsoft 365"
 * gave. With M365FC_DOCS_SCREENSHOTS=1 its picture is written to docs/img/.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeLogs } from '../../src/analyze/analyze-logs.js';
import { fileInput } from '../../src/analyze/open-input.js';
import { renderReport } from '../../src/analyze/report-html.js';
import { createClassifier } from '../../src/index.js';
import { readRealResponse, REPO_ROOT } from '../support/data.js';
import { HAVE_CHROMIUM, launchChromium, screenshotPath, SKIP_REASON, warnIfNoChromium, type Browser } from './chromium.js';

warnIfNoChromium();

const dir = mkdtempSync(join(tmpdir(), 'm365fc-report-formats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let browser: Browser;

describe.skipIf(!HAVE_CHROMIUM)(`report.html of a two-direction log in Chromium${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  beforeAll(async () => {
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('shows the connections, the right local-breakout share, ExpressRoute and the internal-destination warning', async () => {
    const log = join(REPO_ROOT, 'test/fixtures/flow-logs/nfdump/flows.csv');
    const classifier = createClassifier(readRealResponse('worldwide-commit20200531.json'), { version: '2020042800' });
    const s = await analyzeLogs([fileInput(log)], { classifier, now: () => Date.parse('2026-01-01T12:00:00Z') });
    const html = join(dir, 'nfdump.html');
    writeFileSync(html, renderReport({ ...s, inputs: s.inputs.map((i) => ({ ...i, name: 'flows.csv', file: 'flows.csv' })) }));
    const { page, errors, requests } = await browser.page();
    await page.goto(`file://${html}`);
    expect(await page.locator('#tile-flows .tile-value').innerText()).toBe('6');
    expect(await page.locator('#tile-local .tile-value').innerText()).toBe('93.0%');
    expect(await page.locator('#tile-m365 .tile-value').innerText()).toBe('93.0%');
    expect(await page.locator('#express-route').innerText()).toContain('93.0% of bytes (4 flows, 80.0 kB) went to endpoint sets marked expressRoute: true');
    expect(await page.locator('#internal-destinations').innerText()).toContain('1 flows (1.00 kB) have an internal address as destination (10.2.0.5)');
    expect(await page.locator('.meta').innerText()).toContain('flows.csv: nfdump, 12 records, 0 bad lines, 3 lines without a flow');
    const rows = await page.locator('#by-category table tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t'))).toEqual([
      ['Optimize', '3', '50.0%', '75.0 kB', '87.2%'],
      ['Allow', '1', '16.7%', '5.00 kB', '5.8%'],
      ['Default', '0', '0.0%', '0 B', '0.0%'],
      ['Not Microsoft 365', '2', '33.3%', '6.00 kB', '7.0%'],
    ]);
    await page.screenshot({ path: screenshotPath('analyze-report-nfdump.png', { docs: process.env['M365FC_DOCS_SCREENSHOTS'] === '1' }), fullPage: true });
    expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
