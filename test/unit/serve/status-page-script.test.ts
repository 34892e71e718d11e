import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SCRIPT } from '../../../src/serve/status-page/page-script.gen.js';
import { HTML } from '../../../src/serve/status-page/page-html.js';
import { REPO_ROOT } from '../../support/data.js';

describe('the status page script (src/serve/status-page/browser/page.ts)', () => {
  it('page-script.gen.ts is what scripts/gen-status-page.mjs makes of it (run `npm run gen:status-page` when this fails)', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/gen-status-page.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('is plain browser JavaScript, inlined once into the page', () => {
    expect(SCRIPT.startsWith("'use strict';")).toBe(true);
    expect(SCRIPT).not.toMatch(/^\s*(import|export)\b/m);
    expect(SCRIPT).not.toMatch(/:\s*(string|number|HTMLElement)\b[^'"]*[,)=]/);
    expect(HTML.split(SCRIPT).length).toBe(2);
  });
});
