import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES as WIRE_CODES } from '../../../plugin-api/types.js';
import { ERROR_CODES } from '../../../src/core/errors.js';
import { REPO_ROOT } from '../../support/data.js';

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
    const dir = join(REPO_ROOT, 'plugin-api');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    expect(files).toContain('client.ts');
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      // Any relative path that climbs out of plugin-api/ into src/.
      expect(text, f).not.toMatch(/(from|import\()\s*'(\.\.\/)+src\//);
    }
  });
});
