import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, parseEndpointsResponse } from '../../../src/index.js';
import { createExportRegistry } from '../../../src/export/builtins.js';
import { prepareExport } from '../../../src/export/export-file.js';
import { isFlowError, type Snapshot } from '../../../src/core/types.js';
import { REAL_RESPONSES, readRealResponseText } from '../../support/data.js';
import { exportHosts } from '../../support/export-hosts.js';
import { loadPac } from '../../support/pac-eval.js';

const PROXY = 'PROXY proxy.contoso.com:8080';
const registry = createExportRegistry();

async function renderPac(snapshot: Snapshot, options: Record<string, unknown>): Promise<string> {
  return prepareExport(registry, 'pac', snapshot, { proxy: PROXY, ...options }).renderText();
}

/** What the PAC must answer: the engine's category for { host, 443, tcp }, specific-first. */
function expected(snapshot: Snapshot, type: 1 | 2, tenant: string | undefined): (host: string) => string | null {
  const c = createClassifier(snapshot, { precedence: 'specific-first', tenantName: tenant });
  return (host) => {
    const r = c.classify({ host, port: 443, protocol: 'tcp' });
    if (isFlowError(r)) return null;
    const direct = r.category === 'Optimize' || (type === 2 && r.category === 'Allow');
    return direct ? 'DIRECT' : PROXY;
  };
}

describe('pac exporter on the real snapshots, evaluated by pac-resolver', () => {
  for (const name of REAL_RESPONSES) {
    const snapshot = parseEndpointsResponse(readRealResponseText(name));
    const hosts = exportHosts(snapshot, 5);
    for (const [type, tenant] of [[1, undefined], [2, undefined], [2, 'contoso']] as const) {
      it(`${name}: type ${type}${tenant ? `, tenant ${tenant}` : ''}: every decision equals the engine's (${hosts.length} hosts)`, async () => {
        const pac = await loadPac(await renderPac(snapshot, { type, ...(tenant ? { tenant } : {}) }));
        const want = expected(snapshot, type, tenant);
        const wrong: string[] = [];
        let checked = 0;
        let direct = 0;
        try {
          for (const host of hosts) {
            const w = want(host);
            if (w === null) continue;
            checked++;
            const got = await pac.find(host);
            if (got === 'DIRECT') direct++;
            if (got !== w) wrong.push(`${host}: pac ${got}, engine ${w}`);
          }
        } finally {
          pac.dispose();
        }
        expect(wrong.slice(0, 10)).toEqual([]);
        expect(checked).toBeGreaterThan(2000);
        expect(direct).toBeGreaterThan(10);
      });
    }
  }
});

describe('pac lookup shape', () => {
  const snapshot = parseEndpointsResponse(readRealResponseText('worldwide-commit20190109.json'));
  let text = '';
  beforeAll(async () => {
    text = await renderPac(snapshot, { type: 2 });
  });

  it('does no DNS lookups', () => {
    expect(text).not.toMatch(/isInNet|dnsResolve|isResolvable|myIpAddress|dnsDomainIs/);
  });

  it('calls shExpMatch only a few times per request, whatever the host', async () => {
    let calls = 0;
    let most = 0;
    const pac = await loadPac(text, () => calls++);
    try {
      for (const host of exportHosts(snapshot, 9, 200)) {
        calls = 0;
        await pac.find(host);
        most = Math.max(most, calls);
      }
    } finally {
      pac.dispose();
    }
    expect(most).toBeLessThanOrEqual(3);
  });
});

describe('pac decisions on crafted data', () => {
  const sets = [
    { id: 1, serviceArea: 'SharePoint', serviceAreaDisplayName: 'SP', urls: ['*.sharepoint.com'], tcpPorts: '80,443', expressRoute: false, category: 'Optimize', required: true },
    { id: 2, serviceArea: 'SharePoint', serviceAreaDisplayName: 'SP', urls: ['*-files.sharepoint.com', 'static.sharepoint.com'], tcpPorts: '443', expressRoute: false, category: 'Default', required: true },
    { id: 3, serviceArea: 'Common', serviceAreaDisplayName: 'C', urls: ['*.office.com', 'autodiscover.*.onmicrosoft.com', 'foo*'], tcpPorts: '443', expressRoute: false, category: 'Allow', required: true },
    { id: 4, serviceArea: 'Common', serviceAreaDisplayName: 'C', urls: ['portal.office.com'], tcpPorts: '80', expressRoute: false, category: 'Default', required: true },
    { id: 5, serviceArea: 'Common', serviceAreaDisplayName: 'C', urls: ['*.cdn.office.com'], tcpPorts: '443', expressRoute: false, category: 'Default', required: true },
  ];
  const snapshot = parseEndpointsResponse(JSON.stringify(sets));
  const cases: Array<[host: string, type1: string, type2: string]> = [
    ['contoso.sharepoint.com', 'DIRECT', 'DIRECT'],
    ['CONTOSO.SharePoint.com.', 'DIRECT', 'DIRECT'],
    // A specific Default pattern inside the Optimize wildcard goes to the proxy.
    ['contoso-files.sharepoint.com', PROXY, PROXY],
    ['static.sharepoint.com', PROXY, PROXY],
    ['sharepoint.com', PROXY, PROXY],
    ['www.office.com', PROXY, 'DIRECT'],
    // Set 4 lists only port 80: for 443 the Allow wildcard decides.
    ['portal.office.com', PROXY, 'DIRECT'],
    ['a.cdn.office.com', PROXY, PROXY],
    ['autodiscover.contoso.onmicrosoft.com', PROXY, 'DIRECT'],
    ['foobar', PROXY, 'DIRECT'],
    ['example.com', PROXY, PROXY],
    ['constructor', PROXY, PROXY],
    ['__proto__', PROXY, PROXY],
  ];
  const pacs: Array<Awaited<ReturnType<typeof loadPac>>> = [];
  beforeAll(async () => {
    pacs.push(await loadPac(await renderPac(snapshot, { type: 1 })), await loadPac(await renderPac(snapshot, { type: '2' })));
  });
  afterAll(() => pacs.forEach((p) => p.dispose()));

  for (const [host, t1, t2] of cases) {
    it(`${host}: type 1 ${t1}, type 2 ${t2}`, async () => {
      expect(await pacs[0]!.find(host)).toBe(t1);
      expect(await pacs[1]!.find(host)).toBe(t2);
    });
  }

  it('fills the tenant position', async () => {
    const pac = await loadPac(await renderPac(snapshot, { type: 1, tenant: 'contoso' }));
    try {
      expect(await pac.find('contoso.sharepoint.com')).toBe('DIRECT');
      // OneDrive: Microsoft's tables for *.sharepoint.com list <tenant>-my.sharepoint.com too.
      expect(await pac.find('contoso-my.sharepoint.com')).toBe('DIRECT');
      expect(await pac.find('fabrikam.sharepoint.com')).toBe(PROXY);
    } finally {
      pac.dispose();
    }
  });

  it('refuses a missing or malformed proxy and an unknown type with M365FC_ERR_EXPORT_BAD_OPTION', () => {
    expect(() => prepareExport(registry, 'pac', snapshot, {})).toThrow(expect.objectContaining({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' }));
    expect(() => prepareExport(registry, 'pac', snapshot, { proxy: 'PROXY a"b' })).toThrow(expect.objectContaining({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' }));
    expect(() => prepareExport(registry, 'pac', snapshot, { proxy: PROXY, type: '3' })).toThrow(expect.objectContaining({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' }));
    expect(() => prepareExport(registry, 'pac', snapshot, { proxy: PROXY, tenant: 'a b' })).toThrow(expect.objectContaining({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' }));
  });
});
