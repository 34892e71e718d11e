import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { formatIPv4 } from '../core/addresses.js';
import { complement, formatPrefix, intervalToPrefixes, prefixInterval, toCidrs, winningIntervals, type Family, type Interval, type RankedPrefix } from '../core/prefixes.js';

/**
 * VPN split tunnelling: the Optimize prefixes (by default), merged into the fewest CIDR prefixes,
 * as a plain list, OpenVPN `route`/`route-ipv6` lines that send them outside the tunnel, or a
 * WireGuard `AllowedIPs` line that tunnels everything except them (the exact complement).
 * An address is in the list exactly when the engine's IP verdict for it (longest prefix, then
 * category) is a selected category: a longer prefix of another category is cut out.
 */

export type TunnelFormat = 'cidr' | 'openvpn' | 'wireguard';
type FamilyName = 'ipv4' | 'ipv6';

export interface SplitTunnelOptions {
  readonly format: TunnelFormat;
  readonly category: readonly CategoryName[];
  readonly family: readonly FamilyName[];
  readonly gateway: string;
}

const RANK: Readonly<Record<CategoryName, number>> = { Optimize: 0, Allow: 1, Default: 2 };

/** The merged intervals of the selected categories, per family. */
export function tunnelBypass(view: SnapshotView, categories: readonly CategoryName[]): Record<Family, Interval[]> {
  const byFamily: Record<Family, RankedPrefix[]> = { 4: [], 6: [] };
  for (const set of view.sets) {
    for (const ip of set.ips) {
      const p = prefixInterval(ip);
      byFamily[p.family].push({ ...p, rank: RANK[set.category], selected: categories.includes(set.category) });
    }
  }
  return { 4: winningIntervals(byFamily[4]), 6: winningIntervals(byFamily[6]) };
}

function maskOf(length: number): string {
  return formatIPv4(length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);
}

export function renderSplitTunnel(view: SnapshotView, options: SplitTunnelOptions): string {
  const bypass = tunnelBypass(view, options.category);
  const families: Family[] = (['ipv4', 'ipv6'] as const).filter((f) => options.family.includes(f)).map((f) => (f === 'ipv4' ? 4 : 6));
  const what = `${options.category.join(', ')} prefixes of endpoint data version ${view.version} (${view.instance})`;
  if (options.format === 'cidr') {
    return families.flatMap((f) => toCidrs(bypass[f], f)).map((c) => `${c}\n`).join('');
  }
  if (options.format === 'openvpn') {
    const lines = [`# OpenVPN client config: send the ${what} outside the tunnel.`];
    for (const f of families) {
      for (const iv of bypass[f]) {
        for (const p of intervalToPrefixes(iv, f)) {
          if (f === 4) lines.push(`route ${formatIPv4(Number(p.network))} ${maskOf(p.length)} ${options.gateway}`);
          else lines.push(`route-ipv6 ${formatPrefix(6, p.network, p.length)} ${options.gateway}`);
        }
      }
    }
    return `${lines.join('\n')}\n`;
  }
  const allowed = families.flatMap((f) => toCidrs(complement(bypass[f], f), f));
  return `# WireGuard [Peer]: tunnel everything except the ${what}.\nAllowedIPs = ${allowed.join(', ')}\n`;
}

export const splitTunnelExporter = defineExporter<SplitTunnelOptions>({
  name: 'split-tunnel',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/plain; charset=utf-8',
  fileExtension: 'txt',
  version: '1',
  description: 'VPN split tunnel: the Optimize prefixes merged, as CIDR lines, OpenVPN routes, or a WireGuard AllowedIPs complement.',
  optionsSchema: {
    type: 'object',
    properties: {
      format: { type: 'string', enum: ['cidr', 'openvpn', 'wireguard'], default: 'cidr' },
      category: {
        type: 'array',
        items: { type: 'string', enum: ['Optimize', 'Allow', 'Default'] },
        minItems: 1,
        uniqueItems: true,
        default: ['Optimize'],
        description: 'Categories whose prefixes leave outside the tunnel.',
      },
      family: { type: 'array', items: { type: 'string', enum: ['ipv4', 'ipv6'] }, minItems: 1, uniqueItems: true, default: ['ipv4', 'ipv6'] },
      gateway: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$', default: 'net_gateway', description: 'OpenVPN route gateway.' },
    },
    additionalProperties: false,
  },
  examples: [{}, { format: 'openvpn' }, { format: 'wireguard', family: 'ipv4' }, { category: 'Optimize,Allow' }],
  render: renderSplitTunnel,
});
