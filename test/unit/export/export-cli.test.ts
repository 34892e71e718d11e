import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseExportArgs, run } from '../../../src/cli/commands/export.js';
import { createExportRegistry } from '../../../src/export/builtins.js';
import { prepareExport } from '../../../src/export/export-file.js';
import { readDataFile } from '../../../src/index.js';
import { realResponsePath } from '../../support/data.js';

const DATA = realResponsePath('worldwide-commit20200531.json');

describe('m365fc export', () => {
  it('parses the exporter name, its own flags and the exporter options', () => {
    expect(parseExportArgs(['pac', '--data', 'f.json', '--proxy', 'PROXY p:1', '--type=2', '--plugin', 'a.mjs', '--plugin', 'b.mjs', '--out', 'o.pac', '--category', 'A', '--category', 'B'])).toEqual({
      name: 'pac',
      data: 'f.json',
      out: 'o.pac',
      plugins: ['a.mjs', 'b.mjs'],
      list: false,
      help: false,
      options: { proxy: 'PROXY p:1', type: '2', category: ['A', 'B'] },
    });
  });

  it('writes the same file as the exporter to --out', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'm365fc-export-')), 'm365.pac');
    expect(await run(['pac', '--data', DATA, '--proxy', 'PROXY proxy:8080', '--type', '2', '--tenant', 'contoso', '--out', out])).toBe(0);
    const want = await prepareExport(createExportRegistry(), 'pac', readDataFile(DATA), { proxy: 'PROXY proxy:8080', type: '2', tenant: 'contoso' }).render();
    expect(readFileSync(out, 'utf8')).toBe(want);
  });

  it('loads --plugin modules; exits 1 with the code on a coded error, 2 on bad usage', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365fc-export-'));
    const plugin = join(dir, 'ids.mjs');
    writeFileSync(plugin, `export default { name: 'ids', apiVersion: '^1.0.0', contentType: 'text/plain', optionsSchema: { type: 'object' }, render: (v) => v.sets.map((s) => s.id).join(',') };\n`);
    const wrong = join(dir, 'wrong.mjs');
    writeFileSync(wrong, `export default { name: 'wrong', apiVersion: '^7.0.0', contentType: 'text/plain', optionsSchema: { type: 'object' }, render: () => '' };\n`);
    const out = join(dir, 'ids.txt');
    expect(await run(['ids', '--plugin', plugin, '--data', DATA, '--out', out])).toBe(0);
    expect(readFileSync(out, 'utf8').split(',')[0]).toBe('1');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await run(['wrong', '--plugin', wrong, '--data', DATA])).toBe(1);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/^m365fc: M365FC_ERR_PLUGIN_API_VERSION: /);
      expect(await run(['pac', '--data', DATA])).toBe(1);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/M365FC_ERR_EXPORT_BAD_OPTION/);
      expect(await run(['nope', '--data', DATA])).toBe(1);
      expect(String(stderr.mock.calls.at(-1)?.[0])).toMatch(/M365FC_ERR_EXPORT_UNKNOWN/);
      expect(await run(['pac', '--proxy'])).toBe(2);
      expect(await run([])).toBe(2);
    } finally {
      stderr.mockRestore();
    }
  });
});
