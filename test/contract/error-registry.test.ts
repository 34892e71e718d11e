import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLIENT_ONLY_ERROR_CODES } from '../../plugin-api/client-errors.js';
import { ALL_ERROR_CODES, ERROR_CODES, LOCAL_ERRORS, reachesHttp, type AnyErrorCode } from '../../src/core/errors.js';
import { BAD_BYTES, BAD_CSV, BAD_JSON, SHORT_LINE } from '../../src/analyze/bad-line.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SCANNED = ['src', 'plugin-api', 'docs'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return files(path);
    return /\.(ts|md|yaml|js|html|css)$/.test(e.name) ? [path] : [];
  });
}

/** Every `M365FC_ERR_...` in the text; one ending in `_` (as in `M365FC_ERR_FLOW_*`) names a family. */
function errorLiterals(text: string): string[] {
  return [...text.matchAll(/M365FC_ERR_[A-Z0-9_]*/g)].map((m) => m[0]);
}

function unregistered(literals: readonly string[], codes: readonly string[]): string[] {
  const known = new Set(codes);
  return literals.filter((lit) => (lit.endsWith('_') ? !codes.some((c) => c.startsWith(lit)) : !known.has(lit)));
}

describe('one error vocabulary (src/core/errors.ts)', () => {
  it('every M365FC_ERR_ literal in src/, plugin-api/, docs/ and the README is a registered code or family', () => {
    const found: string[] = [];
    for (const file of [...SCANNED.flatMap((d) => files(join(root, d))), join(root, 'README.md')]) {
      for (const lit of unregistered(errorLiterals(readFileSync(file, 'utf8')), ALL_ERROR_CODES)) found.push(`${relative(root, file)}: ${lit}`);
    }
    expect(found).toEqual([]);
  });

  it('the scan sees a code that is not registered, and a family that has no member', () => {
    const text = "throw new M365Error('M365FC_ERR_FLOW_BAD_IP'); code: 'M365FC_ERR_FLOW_NO_SUCH_THING'; M365FC_ERR_NOPE_*; M365FC_ERR_CLIENT_*";
    expect(unregistered(errorLiterals(text), ALL_ERROR_CODES)).toEqual(['M365FC_ERR_FLOW_NO_SUCH_THING', 'M365FC_ERR_NOPE_']);
  });

  it('HTTP codes and local codes are disjoint; the HTTP ones are exactly what openapi.yaml lists', () => {
    const local = Object.keys(LOCAL_ERRORS) as AnyErrorCode[];
    expect(local.filter((c) => reachesHttp(c))).toEqual([]);
    expect(ALL_ERROR_CODES.filter((c) => reachesHttp(c))).toEqual(ERROR_CODES);
    expect(new Set(ALL_ERROR_CODES).size).toBe(ALL_ERROR_CODES.length);
  });

  it("the client's own codes (plugin-api keeps its own list) are the registry's client codes", () => {
    const client = Object.entries(LOCAL_ERRORS).filter(([, e]) => e.where === 'client').map(([c]) => c);
    expect([...CLIENT_ONLY_ERROR_CODES].sort()).toEqual(client.sort());
  });

  it("the flow-log reader's reasons are registered analyze codes", () => {
    for (const code of [BAD_CSV, BAD_JSON, SHORT_LINE, BAD_BYTES] as const) expect(LOCAL_ERRORS[code].where).toBe('analyze');
  });
});
