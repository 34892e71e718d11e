import { API_VERSION, PluginError, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { prefixInterval, toCidrs, winningIntervals, type Family, type Interval, type RankedPrefix } from '../core/prefixes.js';
import { openVpnWarnings, renderOpenVpn, renderWireGuard, wireGuardExcluded } from './tunnel-configs.js';

/**
 * VPN split tunnelling: the Optimize prefixes (by default), merged into the fewest CIDR prefixes,
 * as a plain list, OpenVPN `route` lines that send them outside the tunnel, or WireGuard
 * `AllowedIPs` lines that tunnel everything except them (the exact complement); see
 * tunnel-configs.ts for why the OpenVPN form has no route-ipv6 line.
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
  readonly gateway6?: string;
  readonly endpoint?: string;
  readonly exclude?: readonly string[];
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

export function renderSplitTunnel(view: SnapshotView, options: SplitTunnelOptions): string {
  const bypass = tunnelBypass(view, options.category);
  const families = familiesOf(options);
  const header = `${options.category.join(', ')} prefixes of endpoint data version ${view.version} (${view.instance})`;
  if (options.format !== 'wireguard' && (options.endpoint !== undefined || options.exclude !== undefined)) {
    throw new PluginError('M365FC_ERR_EXPORT_BAD_OPTION', 'Exporter "split-tunnel": endpoint and exclude are options of --format wireguard', { plugin: 'split-tunnel', field: 'format' });
  }
  if (options.format === 'cidr') return families.flatMap((f) => toCidrs(bypass[f], f)).map((c) => `${c}\n`).join('');
  if (options.format === 'openvpn') return renderOpenVpn(bypass, families, options, options.category.join(', '), header);
  return renderWireGuard(bypass, families, options, header);
}

function familiesOf(options: SplitTunnelOptions): Family[] {
  return (['ipv4', 'ipv6'] as const).filter((f) => options.family.includes(f)).map((f) => (f === 'ipv4' ? 4 : 6));
}

export function splitTunnelWarnings(view: SnapshotView, options: SplitTunnelOptions): string[] {
  if (options.format === 'openvpn') return openVpnWarnings(tunnelBypass(view, options.category), familiesOf(options), options.category.join(', '));
  if (options.format === 'wireguard') return wireGuardExcluded(options).warnings;
  return [];
}

export const splitTunnelExporter = defineExporter<SplitTunnelOptions>({
  name: 'split-tunnel',
  apiVersion: `^${API_VERSION}`,
  contentType: 'text/plain; charset=utf-8',
  fileExtension: 'txt',
  version: '2',
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
      gateway: {
        type: 'string',
        pattern: '^(net_gateway|[0-9]{1,3}([.][0-9]{1,3}){3})$',
        default: 'net_gateway',
        description: 'OpenVPN: the IPv4 gateway of the route lines (net_gateway: the default gateway outside the tunnel).',
      },
      gateway6: {
        type: 'string',
        pattern: '^[0-9A-Fa-f:.]{2,45}$',
        description: 'OpenVPN: the IPv6 router of the route-up script for the IPv6 prefixes (default: $net_gateway_ipv6, set by OpenVPN).',
      },
      endpoint: { type: 'string', maxLength: 260, description: "WireGuard: the peer's HOST_OR_IP[:PORT]; its address is left out of AllowedIPs." },
      exclude: {
        type: 'array',
        items: { type: 'string', pattern: '^[0-9A-Fa-f:.]{2,45}(/[0-9]{1,3})?$' },
        minItems: 1,
        description: 'WireGuard: more CIDR prefixes to leave out of AllowedIPs (LAN ranges, ...).',
      },
    },
    additionalProperties: false,
  },
  examples: [
    {},
    { format: 'openvpn' },
    { format: 'openvpn', gateway: '192.168.1.1', gateway6: '2001:db8:1::1' },
    { format: 'wireguard', family: 'ipv4' },
    { format: 'wireguard', endpoint: '203.0.113.7:51820', exclude: '192.168.0.0/16,fd00::/8' },
    { category: 'Optimize,Allow' },
  ],
  render: renderSplitTunnel,
  warnings: splitTunnelWarnings,
});
