import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES as WIRE_CODES } from '../../plugin-api/types.js';
import { ERROR_CODES } from '../../src/errors.js';
import { REPO_ROOT } from '../support/data.js';

describe('plugin-api/types.ts', () => {
  it('is what scripts/gen-plugin-types.mjs generates from openapi.yaml (run `npm run gen:plugin-types` when this fails)', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-plugin-types.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('lists the error registry codes', () => {
    expect([...WIRE_CODES]).toEqual(ERROR_CODES);
  });

  it('imports nothing from src/, nor does any plugin-api file', () => {
    for (const f of ['index.ts', 'types.ts', 'client.ts', 'plugin.ts', 'plugin-conformance.ts']) {
      const text = readFileSync(join(REPO_ROOT, 'plugin-api', f), 'utf8');
      expect(text, f).not.toMatch(/from '\.\.\/src|import\('\.\.\/src/);
    }
  });
});
