/**
 * Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
 * (which downloads no browser of its own). Flags as the machine notes say: no sandbox (root in a
 * container), no GPU, no QUIC, and no background networking (the machine's closed network
 * refuses Chromium's own connections), with a fresh profile each time.
 *
 * When /usr/bin/chromium is missing the tests skip, and say so once on the console; under CI
 * (`CI` set, as `.ci/run` runs) they do not skip: a missing browser fails them, as a missing tool
 * fails the real-tool tests.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../support/data.js';

export const CHROMIUM = '/usr/bin/chromium';
/** False only outside CI: under CI the tests run, and fail at launch without the browser. */
export const HAVE_CHROMIUM = existsSync(CHROMIUM) || process.env['CI'] !== undefined;
export const SKIP_REASON = `${CHROMIUM} is missing: browser tests skipped (apt-get install -y chromium)`;

let warned = false;
/** Prints the skip reason once per test file, where a person reading the run will see it. */
export function warnIfNoChromium(): void {
  if (!HAVE_CHROMIUM && !warned) {
    warned = true;
    console.warn(`\n*** ${SKIP_REASON} ***\n`);
  }
}

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  /** A new page that records console errors, page errors and every URL it requested. */
  page(): Promise<{ page: Page; errors: string[]; requests: string[] }>;
  close(): Promise<void>;
}

/** Launches Chromium headless on a new empty profile (playwright passes --headless and --user-data-dir). */
export async function launchChromium(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'm365fc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1200, height: 900 },
    deviceScaleFactor: 1,
  });
  return {
    context,
    async page() {
      const page = await context.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => requests.push(r.url()));
      return { page, errors, requests };
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where a test's screenshot goes: the system temp directory; a picture the README shows goes to
 * docs/img/ instead when M365FC_DOCS_SCREENSHOTS=1 (how those pictures are made).
 */
export function screenshotPath(name: string, options: { docs?: boolean } = {}): string {
  const docs = options.docs === true && process.env['M365FC_DOCS_SCREENSHOTS'] === '1';
  const dir = docs ? join(REPO_ROOT, 'docs', 'img') : join(tmpdir(), 'm365fc-screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
