import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, whether this file runs from test/ (vitest) or dist/test/ (built benches). */
const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = resolve(here, here.includes(`${'/dist/'}`) ? '../../..' : '../..');

/** Microsoft's real responses, kept in the repository (see its PROVENANCE.md). */
export const M365_DATA_DIR = resolve(REPO_ROOT, 'test/fixtures/m365-data');

/** The four real Worldwide responses, oldest first. */
export const REAL_RESPONSES = [
  'worldwide-commit20190109.json',
  'worldwide-commit20191124.json',
  'worldwide-commit20200531.json',
  'worldwide-noipv6-undated-cloudips-f6739cb.json',
] as const;

export type RealResponse = (typeof REAL_RESPONSES)[number];

export function realResponsePath(name: RealResponse): string {
  return join(M365_DATA_DIR, name);
}

export function readRealResponseText(name: RealResponse): string {
  return readFileSync(realResponsePath(name), 'utf8');
}

export function readRealResponse(name: RealResponse): unknown {
  return JSON.parse(readRealResponseText(name)) as unknown;
}
