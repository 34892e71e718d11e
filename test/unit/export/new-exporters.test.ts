import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Reader } from 'maxmind';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../../src/cli/commands/export.js';
import { createExportRegistry } from '../../../src/export/builtins.js';
import { dnsmasqPlan } from '../../../src/export/dnsmasq.js';
import { prepareExport } from '../../../src/export/export-file.js';
import { snapshotView } from '../../../src/export/snapshot-view.js';
import { createClassifier, parseEndpointsResponse, readDataFile } from '../../../src/index.js';
import { buildApp } from '../../../src/serve/app.js';
import { LiveIndex } from '../../../src/follow/live-index.js';
import { exportRoutes } from '../../../src/serve/routes/export.js';
import { readRealResponseText, realResponsePath } from '../../support/data.js';

const NEW = ['nftables', 'ipset', 'dnsmasq', 'mmdb'] as const;
const DATA = realResponsePath('worldwide-commit20200531.json');

describe('the new exporters over HTTP: GET /v1/export/{nftables,ipset,dnsmasq,mmdb}', () => {
  const live = new LiveIndex();
  let app: FastifyInstance;
  beforeAll(async () => {
    live.publish(createClassifier(parseEndpointsResponse(readRealResponseText('worldwide-commit20200531.json'), { version: '2020053100' })), { source: 'file' });
    app = buildApp({ liveIndex: live, defaultMetrics: false, underPressure: false });
    if (!app.hasRoute({ method: 'GET', url: '/v1/export/:name' })) exportRoutes(app, { live });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  for (const name of NEW) {
    it(`${name}: 200 with its content type and an ETag, 304 on If-None-Match, the same bytes as the exporter`, async () => {
      const r = await app.inject({ method: 'GET', url: `/v1/export/${name}` });
      expect(r.statusCode).toBe(200);
      const plugin = createExportRegistry().get(name);
      expect(r.headers['content-type']).toBe(plugin.contentType);
      const etag = r.headers['etag'] as string;
      expect(etag).toMatch(/^"2020053100-/);
      const again = await app.inject({ method: 'GET', url: `/v1/export/${name}`, headers: { 'if-none-match': etag } });
      expect([again.statusCode, again.body]).toEqual([304, '']);
      const want = await prepareExport(createExportRegistry(), name, live.current!.snapshot).render();
      expect(Buffer.compare(r.rawPayload, Buffer.from(typeof want === 'string' ? new TextEncoder().encode(want) : want))).toBe(0);
    });
  }

  it('mmdb over HTTP is a MaxMind DB a reader opens', async () => {
    const r = await app.inject({ method: 'GET', url: '/v1/export/mmdb?category=Optimize' });
    const reader = new Reader<Record<string, unknown>>(r.rawPayload);
    expect(reader.get('13.107.6.152')).toMatchObject({ category: 'Optimize', endpointSetId: 1, matched: '13.107.6.152/31' });
    expect(reader.get('::ffff:13.107.6.152')).toMatchObject({ endpointSetId: 1 });
  });

  it('a bad option is 400 M365FC_ERR_EXPORT_BAD_OPTION', async () => {
    for (const url of ['/v1/export/nftables?table=1bad', '/v1/export/dnsmasq?setType=pf', '/v1/export/mmdb?category=Other', '/v1/export/split-tunnel?format=wireguard&exclude=300.1.1.1/8']) {
      const r = await app.inject({ method: 'GET', url });
      expect([url, r.statusCode, (r.json() as { code: string }).code]).toEqual([url, 400, 'M365FC_ERR_EXPORT_BAD_OPTION']);
    }
  });
});

describe('m365fc export with the new exporters', () => {
  it('--list names them', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await run(['--list'])).toBe(0);
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      for (const name of NEW) expect(text).toMatch(new RegExp(`^  ${name}  `, 'm'));
    } finally {
      out.mockRestore();
    }
  });

  it('mmdb --out writes the exporter bytes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'm365fc-mmdb-')), 'm365.mmdb');
    expect(await run(['mmdb', '--data', DATA, '--out', file])).toBe(0);
    const want = await prepareExport(createExportRegistry(), 'mmdb', readDataFile(DATA)).render();
    expect(Buffer.compare(readFileSync(file), Buffer.from(want as Uint8Array))).toBe(0);
  });

  it('split-tunnel openvpn prints its warning on stderr', async () => {
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await run(['split-tunnel', '--data', DATA, '--format', 'openvpn'])).toBe(0);
      expect(err.mock.calls.map((c) => String(c[0])).join('')).toMatch(/^m365fc export: warning: \d+ IPv6 Optimize prefixes have no route line/m);
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });
});

describe('dnsmasq: what dnsmasq can express, and where it matches wider', () => {
  const sets = [
    { id: 1, serviceArea: 'Exchange', serviceAreaDisplayName: 'E', urls: ['a.x.com', '*.y.com', 'y.com', '*.z.com', '*cdn.x.com', '*-files.sharepoint.com'], tcpPorts: '443', expressRoute: false, category: 'Optimize', required: true },
    { id: 2, serviceArea: 'Exchange', serviceAreaDisplayName: 'E', urls: ['z.com', 'a.x.com'], tcpPorts: '443', expressRoute: false, category: 'Default', required: true },
  ];
  const view = snapshotView(parseEndpointsResponse(JSON.stringify(sets)));

  it('plans one domain per exact host and per *.domain, the best category, and the inexpressible patterns', () => {
    const plan = dnsmasqPlan(view, { category: ['Optimize', 'Allow', 'Default'] });
    expect(Object.fromEntries(plan.domains)).toEqual({ 'a.x.com': { exact: 'Optimize' }, 'y.com': { exact: 'Optimize', wild: 'Optimize' }, 'z.com': { wild: 'Optimize', exact: 'Default' } });
    expect(plan.inexpressible).toEqual(['*-files.sharepoint.com', '*cdn.x.com']);
    expect(dnsmasqPlan(view, { category: ['Optimize'], tenant: 'contoso' }).domains.has('contoso-files.sharepoint.com')).toBe(true);
  });

  it('says per domain where dnsmasq is wider, and counts what it cannot express', async () => {
    const text = await prepareExport(createExportRegistry(), 'dnsmasq', parseEndpointsResponse(JSON.stringify(sets))).renderText();
    const lines = text.split('\n');
    const before = (line: string): string => lines[lines.indexOf(line) - 1]!;
    expect(before('nftset=/a.x.com/4#inet#m365#optimize_v4,6#inet#m365#optimize_v6')).toBe('# a.x.com: dnsmasq also matches the names under it, which Microsoft does not list with it');
    // y.com and *.y.com are both listed: nothing wider, no note.
    expect(before('nftset=/y.com/4#inet#m365#optimize_v4,6#inet#m365#optimize_v6')).not.toMatch(/y\.com/);
    expect(before('nftset=/z.com/4#inet#m365#optimize_v4,6#inet#m365#optimize_v6')).toBe('# z.com: Microsoft lists z.com itself as Default and *.z.com as Optimize; dnsmasq puts both in Optimize');
    expect(text).toContain('# 2 patterns dnsmasq cannot express');
    expect(text).toContain('#   *cdn.x.com\n');
    const ipset = await prepareExport(createExportRegistry(), 'dnsmasq', parseEndpointsResponse(JSON.stringify(sets)), { setType: 'ipset', family: 'ipv4' }).renderText();
    expect(ipset).toContain('ipset=/a.x.com/m365_optimize_v4\n');
  });
});
