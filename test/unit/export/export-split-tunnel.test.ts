import { describe, expect, it } from 'vitest';
import { createClassifier, parseEndpointsResponse } from '../../../src/index.js';
import { createExportRegistry } from '../../../src/export/builtins.js';
import { prepareExport } from '../../../src/export/export-file.js';
import { mergeIntervals, prefixInterval, type Family, type Interval } from '../../../src/core/prefixes.js';
import { bigintToWords, formatIPv4, formatIPv6 } from '../../../src/core/addresses.js';
import { isFlowError, type Category, type Snapshot } from '../../../src/core/types.js';
import { LINE_MAX, ROUTE_UP_MARK } from '../../../src/export/tunnel-configs.js';
import { REAL_RESPONSES, readRealResponseText } from '../../support/data.js';
import { Rng } from '../../support/flow-gen.js';

const registry = createExportRegistry();

function render(snapshot: Snapshot, options: Record<string, unknown>): Promise<string> {
  return prepareExport(registry, 'split-tunnel', snapshot, options).renderText();
}

const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

function intervalsOf(cidrs: readonly string[]): Record<Family, Interval[]> {
  const out: Record<Family, Interval[]> = { 4: [], 6: [] };
  for (const c of cidrs) {
    const p = prefixInterval(c);
    out[p.family].push(p);
  }
  return out;
}

/** Every prefix of every AllowedIPs line. */
function allowedOf(wg: string): string[] {
  return wg
    .split('\n')
    .filter((l) => l.startsWith('AllowedIPs = '))
    .flatMap((l) => l.slice('AllowedIPs = '.length).split(', '));
}

function contains(merged: readonly Interval[], a: bigint): boolean {
  return merged.some((iv) => iv.lo <= a && a <= iv.hi);
}

function text(family: Family, a: bigint): string {
  return family === 4 ? formatIPv4(Number(a)) : formatIPv6(bigintToWords(a));
}

/** Minimal: no prefix's parent lies wholly inside the covered set, and no two prefixes overlap. */
function expectMinimal(cidrs: readonly string[]): void {
  const ivs = intervalsOf(cidrs);
  for (const f of [4, 6] as const) {
    const merged = mergeIntervals(ivs[f]);
    const total = ivs[f].reduce((n, iv) => n + (iv.hi - iv.lo + 1n), 0n);
    expect(total).toBe(merged.reduce((n, iv) => n + (iv.hi - iv.lo + 1n), 0n));
    for (const c of cidrs.filter((x) => (f === 6) === x.includes(':'))) {
      const p = prefixInterval(c);
      if (p.length === 0) continue;
      const size = p.hi - p.lo + 1n;
      const parentLo = p.lo & ~(2n * size - 1n);
      const parentHi = parentLo + 2n * size - 1n;
      expect(merged.some((iv) => iv.lo <= parentLo && parentHi <= iv.hi), `${c} could merge with its sibling`).toBe(false);
    }
  }
}

/** Addresses at both ends, inside and just outside of every prefix in the data, and random ones. */
function sampleAddresses(snapshot: Snapshot, rng: Rng): Array<[Family, bigint]> {
  const out: Array<[Family, bigint]> = [];
  for (const s of snapshot.sets) {
    for (const ip of s.ips) {
      const p = prefixInterval(ip);
      const span = p.hi - p.lo;
      for (const a of [p.lo, p.hi, p.lo + span / 2n, p.lo - 1n, p.hi + 1n, p.lo + (span > 0n ? BigInt(rng.int(0, 1 << 20)) % span : 0n)]) {
        if (a >= 0n && a <= MAX[p.family]) out.push([p.family, a]);
      }
    }
  }
  for (let i = 0; i < 2000; i++) out.push(rng.bool() ? [4, rng.bigBits(32)] : [6, (0x2603n << 112n) | rng.bigBits(112)]);
  return out;
}

describe('split-tunnel exporter on the real snapshots', () => {
  for (const name of REAL_RESPONSES) {
    const snapshot = parseEndpointsResponse(readRealResponseText(name));
    const engine = createClassifier(snapshot, { precedence: 'specific-first' });
    const category = (f: Family, a: bigint): Category | null => {
      const r = engine.classify({ ip: text(f, a) });
      if (isFlowError(r)) throw new Error(r.error.message);
      return r.category;
    };

    it(`${name}: every Optimize address is in the CIDR list, no other address is, and the list is minimal`, async () => {
      const cidrs = (await render(snapshot, {})).trim().split('\n').filter((l) => l !== '');
      expect(cidrs.length).toBeGreaterThan(5);
      expectMinimal(cidrs);
      const ivs = intervalsOf(cidrs);
      const merged = { 4: mergeIntervals(ivs[4]), 6: mergeIntervals(ivs[6]) };
      const wrong: string[] = [];
      for (const [f, a] of sampleAddresses(snapshot, new Rng(11))) {
        const inList = contains(merged[f], a);
        const optimize = category(f, a) === 'Optimize';
        if (inList !== optimize) wrong.push(`${text(f, a)}: list ${inList}, engine ${optimize}`);
      }
      expect(wrong.slice(0, 10)).toEqual([]);
    });

    it(`${name}: WireGuard AllowedIPs is the exact complement, minimal`, async () => {
      const cidrs = (await render(snapshot, {})).trim().split('\n');
      const wg = await render(snapshot, { format: 'wireguard' });
      const allowed = allowedOf(wg);
      expect(allowed.length).toBeGreaterThan(5);
      expectMinimal(allowed);
      const a = intervalsOf(allowed);
      const b = intervalsOf(cidrs);
      for (const f of [4, 6] as const) {
        const sizeA = a[f].reduce((n, iv) => n + (iv.hi - iv.lo + 1n), 0n);
        const sizeB = b[f].reduce((n, iv) => n + (iv.hi - iv.lo + 1n), 0n);
        // Disjoint (sizes add up to the space) and together the whole space.
        expect(sizeA + sizeB).toBe(MAX[f] + 1n);
        expect(mergeIntervals([...a[f], ...b[f]])).toEqual([{ lo: 0n, hi: MAX[f] }]);
      }
    });

    it(`${name}: OpenVPN routes and the IPv6 route-up lines are the same prefixes; no route-ipv6 line`, async () => {
      const cidrs = (await render(snapshot, {})).trim().split('\n');
      const text = await render(snapshot, { format: 'openvpn', gateway6: '2001:db8:1::1' });
      expect(text).not.toMatch(/^route-ipv6/m);
      for (const l of text.split('\n')) expect(l.length).toBeLessThan(256);
      const ovpn = text.split('\n').filter((l) => l.startsWith('route ') || l.startsWith(`${ROUTE_UP_MARK}ip -6 route`));
      const back = ovpn.map((l) => {
        if (l.startsWith(ROUTE_UP_MARK)) {
          const [, , , , net, via, gw] = l.slice(ROUTE_UP_MARK.length).split(' ');
          expect([via, gw]).toEqual(['via', '2001:db8:1::1']);
          return net!;
        }
        const [, net, mask, gw] = l.split(' ');
        expect(gw).toBe('net_gateway');
        const m = prefixInterval(`${mask}/32`).lo;
        const len = m === 0n ? 0 : 32 - (m ^ 0xffffffffn).toString(2).replace(/^0+/, '').length;
        return `${net}/${len}`;
      });
      expect(back).toEqual(cidrs);
    });
  }

  it('cuts a more specific prefix of another category out of an Optimize prefix', async () => {
    const sets = [
      { id: 1, serviceArea: 'Exchange', serviceAreaDisplayName: 'E', ips: ['10.0.0.0/16', '2001:db8::/32'], tcpPorts: '443', expressRoute: false, category: 'Optimize', required: true },
      { id: 2, serviceArea: 'Exchange', serviceAreaDisplayName: 'E', ips: ['10.0.5.0/24', '10.1.0.0/16'], tcpPorts: '443', expressRoute: false, category: 'Default', required: true },
      { id: 3, serviceArea: 'Exchange', serviceAreaDisplayName: 'E', ips: ['10.1.0.0/16', '10.0.5.128/25'], tcpPorts: '443', expressRoute: false, category: 'Optimize', required: true },
    ];
    const snapshot = parseEndpointsResponse(JSON.stringify(sets));
    expect((await render(snapshot, {})).trim().split('\n')).toEqual([
      '10.0.0.0/22',
      '10.0.4.0/24',
      '10.0.5.128/25',
      '10.0.6.0/23',
      '10.0.8.0/21',
      '10.0.16.0/20',
      '10.0.32.0/19',
      '10.0.64.0/18',
      '10.0.128.0/17',
      '10.1.0.0/16',
      '2001:db8::/32',
    ]);
    expect(await render(snapshot, { family: 'ipv4', format: 'wireguard', category: 'Default' })).toContain('AllowedIPs = 0.0.0.0/5, 8.0.0.0/7, 10.0.0.0/22, 10.0.4.0/24, 10.0.5.128/25');
  });

  it('OpenVPN: no route-ipv6 line ever (OpenVPN 2.x routes them into the tunnel); the IPv6 prefixes as a route-up script and a warning; --gateway only on IPv4 lines', async () => {
    const sets = [{ id: 1, serviceArea: 'Exchange', serviceAreaDisplayName: 'E', ips: ['10.0.0.0/16', '2001:db8::/32'], tcpPorts: '443', expressRoute: false, category: 'Optimize', required: true }];
    const snapshot = parseEndpointsResponse(JSON.stringify(sets));
    const prepared = prepareExport(registry, 'split-tunnel', snapshot, { format: 'openvpn', gateway: '192.168.1.1' });
    const conf = await prepared.renderText();
    expect(conf).toContain('route 10.0.0.0 255.255.0.0 192.168.1.1\n');
    expect(conf).not.toMatch(/^route-ipv6/m);
    expect(conf).toContain(`${ROUTE_UP_MARK}ip -6 route replace 2001:db8::/32 via "$net_gateway_ipv6"\n`);
    expect(conf.split('\n').filter((l) => l.includes('2001:db8::/32')).every((l) => !l.includes('192.168.1.1'))).toBe(true);
    expect(prepared.warnings().join('\n')).toMatch(/1 IPv6 Optimize prefixes have no route line/);
    expect(prepareExport(registry, 'split-tunnel', snapshot, { format: 'openvpn', family: 'ipv4' }).warnings()).toEqual([]);
    const with6 = await prepareExport(registry, 'split-tunnel', snapshot, { format: 'openvpn', gateway6: '2001:db8:ffff::1' }).renderText();
    expect(with6).toContain(`${ROUTE_UP_MARK}ip -6 route replace 2001:db8::/32 via 2001:db8:ffff::1\n`);
    await expect(prepareExport(registry, 'split-tunnel', snapshot, { format: 'openvpn', gateway6: '1.2.3.4' }).render()).rejects.toMatchObject({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' });
  });

  it('WireGuard: the endpoint and --exclude are left out of AllowedIPs, exactly, over lines of bounded length', async () => {
    const sets = [{ id: 1, serviceArea: 'Exchange', serviceAreaDisplayName: 'E', ips: ['13.107.0.0/16', '2603:1000::/24'], tcpPorts: '443', expressRoute: false, category: 'Optimize', required: true }];
    const snapshot = parseEndpointsResponse(JSON.stringify(sets));
    const prepared = prepareExport(registry, 'split-tunnel', snapshot, { format: 'wireguard', endpoint: '[2001:db8::7]:51820', exclude: '192.168.0.0/16,203.0.113.9' });
    const wg = await prepared.renderText();
    expect(prepared.warnings()).toEqual([]);
    for (const l of wg.split('\n').filter((x) => x.startsWith('AllowedIPs'))) expect(l.length).toBeLessThanOrEqual(LINE_MAX);
    const allowed = intervalsOf(allowedOf(wg));
    const out: Record<Family, string[]> = { 4: ['13.107.0.0/16', '192.168.0.0/16', '203.0.113.9/32'], 6: ['2603:1000::/24', '2001:db8::7/128'] };
    for (const f of [4, 6] as const) {
      const outside = mergeIntervals(out[f].map(prefixInterval));
      const inside = mergeIntervals(allowed[f]);
      const size = (ivs: Interval[]): bigint => ivs.reduce((n, iv) => n + (iv.hi - iv.lo + 1n), 0n);
      expect(size(outside) + size(inside)).toBe(MAX[f] + 1n);
      expect(mergeIntervals([...outside, ...inside])).toEqual([{ lo: 0n, hi: MAX[f] }]);
    }
    expect(contains(mergeIntervals(allowed[4]), prefixInterval('203.0.113.10/32').lo)).toBe(true);
    // A host name cannot be resolved here: said in the file and as a warning.
    const named = prepareExport(registry, 'split-tunnel', snapshot, { format: 'wireguard', endpoint: 'vpn.contoso.com:51820' });
    expect(await named.renderText()).toMatch(/# WARNING: endpoint vpn\.contoso\.com:51820 is a host name/);
    expect(named.warnings()).toHaveLength(1);
    for (const bad of [{ endpoint: '1.2.3:51820' }, { endpoint: 'a b' }, { exclude: '10.0.0.0/33' }]) {
      await expect(prepareExport(registry, 'split-tunnel', snapshot, { format: 'wireguard', ...bad }).render()).rejects.toMatchObject({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' });
    }
    await expect(prepareExport(registry, 'split-tunnel', snapshot, { exclude: '10.0.0.0/8' }).render()).rejects.toMatchObject({ code: 'M365FC_ERR_EXPORT_BAD_OPTION' });
  });
});
