/**
 * The status page of `m365fc serve` (no options) on a machine where Microsoft's web service
 * cannot be reached, in headless Chromium: the alert at the top says that updates fail, why
 * (the updater's error code and message) and what is served meanwhile. The upstream is a
 * closed local port (M365FC_UPSTREAM), so nothing leaves 127.0.0.1. (docs/img/status-page-offline.png
 * is `npm start` in a network namespace with no network: scripts/offline-demo.sh.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/data.js';
import { HAVE_CHROMIUM, launchChromium, screenshotPath, SKIP_REASON, warnIfNoChromium, type Browser } from './chromium.js';

warnIfNoChromium();

let child: ChildProcess;
let browser: Browser;
let url: string;
let upstream: string;
let home: string;

describe.skipIf(!HAVE_CHROMIUM)(`status page without network${HAVE_CHROMIUM ? '' : ` (${SKIP_REASON})`}`, () => {
  beforeAll(async () => {
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    upstream = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    home = mkdtempSync(join(tmpdir(), 'm365fc-offline-'));
    child = spawn(process.execPath, [join(REPO_ROOT, 'dist/src/cli/main.js'), 'serve'], {
      env: { PATH: process.env['PATH'] ?? '', HOME: home, M365FC_PORT: '0', M365FC_UPSTREAM: upstream },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  });

  it('says that updates fail, why, and what it serves meanwhile', async () => {
    const { page, errors, requests } = await browser.page();
    await page.goto(`${url}/?poll=300`);
    const alert = page.locator('#update-alert');
    await expect.poll(() => alert.isVisible(), { timeout: 15_000 }).toBe(true);
    const text = await alert.innerText();
    expect(text).toMatch(/^Updates from Microsoft fail: 1 check in a row, last success never/);
    expect(text).toContain(`Why: M365FC_ERR_UPSTREAM_UNREACHABLE: Cannot reach ${upstream}/version/Worldwide (ECONNREFUSED).`);
    expect(text).toMatch(/Still serving bootstrap data \d{10}\. Next try in (60|59) min/);
    const updater = await page.locator('#updater').innerText();
    expect(updater).toContain('Outcome\nfailed');
    expect(updater).toContain('Last error\nM365FC_ERR_UPSTREAM_UNREACHABLE');
    await page.screenshot({ path: screenshotPath('status-page-offline-test.png'), fullPage: true });
    expect(errors).toEqual([]);
    // The page talks to this server only.
    for (const r of requests) expect(r.startsWith(url) || r.startsWith('data:'), r).toBe(true);
    await page.close();
  });
});
