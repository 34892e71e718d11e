import { describe, expect, it } from 'vitest';
import { parseEndpointSets, parseEndpointsResponse } from '../../../src/index.js';
import { createExportRegistry } from '../../../src/export/builtins.js';
import { CSV_COLUMNS, parseCsvRecords, parseEndpointsCsv } from '../../../src/export/csv.js';
import { prepareExport } from '../../../src/export/export-file.js';
import { prefixInterval } from '../../../src/core/prefixes.js';
import type { Category, Snapshot } from '../../../src/core/types.js';
import { REAL_RESPONSES, readRealResponseText } from '../../support/data.js';

const registry = createExportRegistry();

function render(name: string, snapshot: Snapshot, options: Record<string, unknown>): Promise<string> {
  return prepareExport(registry, name, snapshot, options).renderText();
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

describe('list exporter on the real snapshots: round trip', () => {
  const filters: Array<{ category?: Category[]; serviceArea?: string[] }> = [{}, { category: ['Optimize'] }, { category: ['Allow', 'Default'] }, { serviceArea: ['exchange', 'Skype'] }];
  for (const name of REAL_RESPONSES) {
    const snapshot = parseEndpointsResponse(readRealResponseText(name));
    for (const filter of filters) {
      it(`${name} ${JSON.stringify(filter)}: each family lists exactly the entries of the matching sets, once, in order`, async () => {
        const keep = snapshot.sets.filter(
          (s) => (filter.category ?? ['Optimize', 'Allow', 'Default']).includes(s.category) && (filter.serviceArea === undefined || filter.serviceArea.some((a) => a.toLowerCase() === s.serviceArea.toLowerCase())),
        );
        const options = { ...(filter.category ? { category: filter.category.join(',') } : {}), ...(filter.serviceArea ? { serviceArea: filter.serviceArea } : {}) };
        const v4 = lines(await render('list', snapshot, { ...options, family: 'ipv4' }));
        const v6 = lines(await render('list', snapshot, { ...options, family: 'ipv6' }));
        const urls = lines(await render('list', snapshot, { ...options, family: 'url' }));
        const all = lines(await render('list', snapshot, options));
        expect(new Set(v4)).toEqual(new Set(keep.flatMap((s) => s.ips.filter((ip) => !ip.includes(':')))));
        expect(new Set(v6)).toEqual(new Set(keep.flatMap((s) => s.ips.filter((ip) => ip.includes(':')))));
        expect(new Set(urls)).toEqual(new Set(keep.flatMap((s) => s.urls)));
        expect(all).toEqual([...v4, ...v6, ...urls]);
        expect(new Set(all).size).toBe(all.length);
        for (const list of [v4, v6]) {
          const starts = list.map((c) => prefixInterval(c).lo);
          expect(starts).toEqual([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        }
        expect(urls).toEqual([...urls].sort());
      });
    }
  }

  it('refuses an unknown family or category with M365FC_ERR_EXPORT_BAD_OPTION', () => {
    const snapshot = parseEndpointsResponse(readRealResponseText('worldwide-commit20200531.json'));
    expect(() => prepareExport(registry, 'list', snapshot, { family: 'ipv5' })).toThrow(expect.objectContaining({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' }));
    expect(() => prepareExport(registry, 'list', snapshot, { category: 'Optimise' })).toThrow(expect.objectContaining({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' }));
    expect(() => prepareExport(registry, 'list', snapshot, { colour: 'red' })).toThrow(expect.objectContaining({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' }));
  });
});

describe('csv exporter: Microsoft layout, round trip', () => {
  for (const name of REAL_RESPONSES) {
    const snapshot = parseEndpointsResponse(readRealResponseText(name));
    it(`${name}: parsing the CSV back gives the same endpoint sets`, async () => {
      const text = await render('csv', snapshot, {});
      expect(text.split('\r\n')[0]).toBe('id,serviceArea,serviceAreaDisplayName,urls,ips,tcpPorts,udpPorts,expressRoute,category,required,notes');
      expect(text.endsWith('\r\n')).toBe(true);
      const records = parseCsvRecords(text);
      expect(records.every((r) => r.length === CSV_COLUMNS.length)).toBe(true);
      expect(records.length).toBe(snapshot.sets.length + 1);
      expect(parseEndpointSets(parseEndpointsCsv(text))).toEqual(snapshot.sets);
    });
  }

  it('quotes fields with commas, quotes and line breaks, and writes booleans as True/False', async () => {
    const sets = [
      { id: 7, serviceArea: 'Common', serviceAreaDisplayName: 'Microsoft 365 "Common", and Office', urls: ['a.example.com', '*.b.example.com'], ips: ['10.0.0.0/8'], tcpPorts: '80,443', udpPorts: '3478-3481', expressRoute: true, category: 'Allow', required: false, notes: 'line one\nline "two", end' },
    ];
    const snapshot = parseEndpointsResponse(JSON.stringify(sets));
    const text = await render('csv', snapshot, {});
    expect(text.split('\r\n')[1]).toBe('7,Common,"Microsoft 365 ""Common"", and Office","a.example.com,*.b.example.com",10.0.0.0/8,"80,443",3478-3481,True,Allow,False,"line one\nline ""two"", end"');
    expect(parseEndpointSets(parseEndpointsCsv(text))).toEqual(snapshot.sets);
  });
});
