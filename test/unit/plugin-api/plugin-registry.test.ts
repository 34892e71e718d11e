import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPluginConformance } from '../../../plugin-api/plugin-conformance.js';
import { API_VERSION, PLUGIN_ERROR_STATUS, PluginRegistry, defineExporter, type ExporterPlugin } from '../../../plugin-api/plugin.js';
import { ERRORS } from '../../../src/core/errors.js';
import { BUILTIN_EXPORTERS, createExportRegistry } from '../../../src/export/builtins.js';
import { prepareExport } from '../../../src/export/export-file.js';
import { snapshotView } from '../../../src/export/snapshot-view.js';
import { parseEndpointsResponse } from '../../../src/index.js';
import { REAL_RESPONSES, readRealResponseText } from '../../support/data.js';

const hello = defineExporter<{ greeting: string; times: number; tags: string[] }>({
  name: 'hello',
  apiVersion: '^1.0.0',
  contentType: 'text/plain; charset=utf-8',
  optionsSchema: {
    type: 'object',
    properties: {
      greeting: { type: 'string', default: 'hi' },
      times: { type: 'integer', minimum: 1, maximum: 3, default: 1 },
      tags: { type: 'array', items: { type: 'string' }, default: [] },
    },
  },
  render: (view, o) => `${o.greeting.repeat(o.times)} ${view.version} ${view.sets.length} ${o.tags.join('+')}\n`,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('plugin registry', () => {
  it('refuses a plugin whose apiVersion range excludes this host, with M365FC_ERR_PLUGIN_API_VERSION', () => {
    const r = new PluginRegistry();
    expect(codeOf(() => r.register({ ...hello, apiVersion: '^2.0.0' }))).toBe('M365FC_ERR_PLUGIN_API_VERSION');
    expect(codeOf(() => r.register({ ...hello, apiVersion: '<1.0.0' }))).toBe('M365FC_ERR_PLUGIN_API_VERSION');
    expect(r.has('hello')).toBe(false);
    // The same plugin on a host of a later major version is refused too.
    expect(codeOf(() => new PluginRegistry({ apiVersion: '2.0.0' }).register(hello))).toBe('M365FC_ERR_PLUGIN_API_VERSION');
    expect(r.register({ ...hello, apiVersion: `>=1.0.0 <2` }).name).toBe('hello');
  });

  it('refuses malformed plugins with M365FC_ERR_PLUGIN_INVALID and duplicates with M365FC_ERR_PLUGIN_DUPLICATE', () => {
    const r = new PluginRegistry();
    expect(codeOf(() => r.register(null))).toBe('M365FC_ERR_PLUGIN_INVALID');
    expect(codeOf(() => r.register({ ...hello, name: 'Bad Name' }))).toBe('M365FC_ERR_PLUGIN_INVALID');
    expect(codeOf(() => r.register({ ...hello, apiVersion: 'one' }))).toBe('M365FC_ERR_PLUGIN_INVALID');
    expect(codeOf(() => r.register({ ...hello, contentType: 'text' }))).toBe('M365FC_ERR_PLUGIN_INVALID');
    expect(codeOf(() => r.register({ ...hello, render: 'no' }))).toBe('M365FC_ERR_PLUGIN_INVALID');
    expect(codeOf(() => r.register({ ...hello, optionsSchema: { type: 'string' } }))).toBe('M365FC_ERR_PLUGIN_INVALID');
    expect(codeOf(() => r.register({ ...hello, optionsSchema: { type: 'object', properties: { a: { type: 'nonsense' } } } }))).toBe('M365FC_ERR_PLUGIN_INVALID');
    r.register(hello);
    expect(codeOf(() => r.register(hello))).toBe('M365FC_ERR_PLUGIN_DUPLICATE');
  });

  it('coerces string options, fills defaults, splits lists, reads kebab case, refuses unknown ones', () => {
    const r = new PluginRegistry();
    r.register(hello);
    expect(r.options('hello', {})).toEqual({ greeting: 'hi', times: 1, tags: [] });
    expect(r.options('hello', { times: '2', tags: 'a,b' })).toEqual({ greeting: 'hi', times: 2, tags: ['a', 'b'] });
    expect(r.options('hello', { tags: ['a', 'b,c'] })).toEqual({ greeting: 'hi', times: 1, tags: ['a', 'b', 'c'] });
    expect(codeOf(() => r.options('hello', { times: '9' }))).toBe('M365FC_ERR_EXPORT_BAD_OPTION');
    expect(codeOf(() => r.options('hello', { times: ['1', '2'] }))).toBe('M365FC_ERR_EXPORT_BAD_OPTION');
    expect(codeOf(() => r.options('hello', { colour: 'red' }))).toBe('M365FC_ERR_EXPORT_BAD_OPTION');
    // A query parser's null-prototype object can carry "__proto__" as an option name.
    expect(codeOf(() => r.options('hello', JSON.parse('{"__proto__":"1"}') as Record<string, string>))).toBe('M365FC_ERR_EXPORT_BAD_OPTION');
    expect(codeOf(() => r.options('nope', {}))).toBe('M365FC_ERR_EXPORT_UNKNOWN');
  });

  it('turns an exception in render into M365FC_ERR_EXPORT_RENDER', async () => {
    const r = new PluginRegistry();
    r.register({ ...hello, render: () => { throw new Error('boom'); } });
    await expect(r.render('hello', snapshotView(parseEndpointsResponse('[{"id":1,"serviceArea":"Common","urls":["a.example"],"category":"Default","expressRoute":false,"required":false}]')), {})).rejects.toMatchObject({ code: 'M365FC_ERR_EXPORT_RENDER' });
  });

  it('loads plugins from a module path, and refuses a module of the wrong apiVersion or with no plugin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm365fc-plugin-'));
    const good = join(dir, 'good.mjs');
    writeFileSync(
      good,
      `export default { name: 'ids', apiVersion: '^1', contentType: 'text/plain', optionsSchema: { type: 'object', properties: {} },
        render(view) { return view.sets.map((s) => s.id).join('\\n') + '\\n'; } };\n`,
    );
    const old = join(dir, 'old.mjs');
    writeFileSync(old, `export const plugin = { name: 'old', apiVersion: '^0.9.0', contentType: 'text/plain', optionsSchema: { type: 'object' }, render: () => '' };\n`);
    const none = join(dir, 'none.mjs');
    writeFileSync(none, 'export const answer = 42;\n');
    const registry = createExportRegistry();
    await registry.load(good);
    const snapshot = parseEndpointsResponse(readRealResponseText('worldwide-commit20200531.json'));
    const body = await prepareExport(registry, 'ids', snapshot).renderText();
    expect(body.split('\n')[0]).toBe(String(snapshot.sets[0]!.id));
    await expect(registry.load(old)).rejects.toMatchObject({ code: 'M365FC_ERR_PLUGIN_API_VERSION' });
    await expect(registry.load(none)).rejects.toMatchObject({ code: 'M365FC_ERR_PLUGIN_LOAD' });
    await expect(registry.load(join(dir, 'missing.mjs'))).rejects.toMatchObject({ code: 'M365FC_ERR_PLUGIN_LOAD' });
  });

  it('uses codes of the error registry, with the same statuses', () => {
    for (const [code, status] of Object.entries(PLUGIN_ERROR_STATUS)) {
      expect(ERRORS[code as keyof typeof ERRORS]?.status, code).toBe(status);
    }
  });
});

describe('plugin conformance kit', () => {
  const views = REAL_RESPONSES.map((n) => snapshotView(parseEndpointsResponse(readRealResponseText(n))));
  for (const plugin of BUILTIN_EXPORTERS) {
    it(`the built-in ${plugin.name} exporter conforms, on the fixture and the real snapshots`, async () => {
      const report = await runPluginConformance(plugin, { views });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      expect(report.ok).toBe(true);
    });
  }

  it('reports a plugin of the wrong apiVersion, one that throws, and one that is not deterministic', async () => {
    const wrong = await runPluginConformance({ ...hello, apiVersion: '^0.1.0' });
    expect(wrong.ok).toBe(false);
    expect(wrong.checks[0]!.message).toMatch(/^M365FC_ERR_PLUGIN_API_VERSION/);
    const throwing = await runPluginConformance({ ...hello, render: (v: { sets: unknown[] }) => (v.sets.length === 0 ? '' : (v.sets as Array<{ urls: string[] }>)[0]!.urls.push('x')) } as unknown as ExporterPlugin);
    expect(throwing.ok).toBe(false);
    let n = 0;
    const random = await runPluginConformance({ ...hello, render: () => String(n++) });
    expect(random.checks.find((c) => !c.ok)?.message).toMatch(/differ/);
    expect((await runPluginConformance(hello)).ok).toBe(true);
    expect(API_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
