import { PluginError } from '../../plugin-api/plugin.js';
import { formatIPv4 } from '../core/addresses.js';
import { complement, formatPrefix, intervalToPrefixes, mergeIntervals, parseAddressValue, parseLooseCidr, toCidrs, type Family, type Interval } from '../core/prefixes.js';

/**
 * The OpenVPN and WireGuard forms of the split-tunnel export.
 *
 * OpenVPN: `route NET MASK GATEWAY` sends an IPv4 prefix outside the tunnel. IPv6 has no such
 * line: `net_gateway` is IPv4 only in the 2.x client (2.6.14: "cannot parse gateway spec
 * 'net_gateway'"), and `route-ipv6 PREFIX GATEWAY` always routes INTO the tun device whatever the
 * gateway (its gateway is used only on tap; measured with 2.6.14 in a namespace, test/tools/
 * openvpn.test.ts: `net_route_v6_add: 2603:1006::/40 via :: dev tun0`). So the file never has a
 * `route-ipv6` line. It carries the IPv6 prefixes as a route-up script in comments (`#route-up: `
 * lines), routing them via `$net_gateway_ipv6` (which OpenVPN sets for scripts) or `gateway6`,
 * and a warning says so.
 *
 * WireGuard has no exclude syntax: AllowedIPs is the exact complement of what must stay outside
 * (the bypass prefixes, the peer's own endpoint, `exclude`). wg-quick routes every AllowedIPs
 * prefix into the tunnel, so an AllowedIPs covering the endpoint sends the tunnel's own packets
 * into the tunnel. AllowedIPs is written over several lines (wg accumulates them): wg-quick parses
 * one line of 14,000-36,000 characters in 30-60 s (issue 11), lines of at most LINE_MAX take no time.
 */

export interface OpenVpnForm {
  readonly gateway: string;
  readonly gateway6?: string;
}

export interface WireGuardForm {
  readonly endpoint?: string;
  readonly exclude?: readonly string[];
}

/** Characters per AllowedIPs line, at most (one prefix longer than that still gets its own line). */
export const LINE_MAX = 200;

function maskOf(length: number): string {
  return formatIPv4(length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0);
}

function badOption(message: string, field: string): PluginError {
  return new PluginError('M365FC_ERR_EXPORT_BAD_OPTION', `Exporter "split-tunnel": ${message}`, { plugin: 'split-tunnel', field });
}

export function checkGateway6(gateway6: string | undefined): void {
  if (gateway6 !== undefined && parseAddressValue(gateway6)?.family !== 6) throw badOption(`gateway6 "${gateway6}" is not an IPv6 address`, 'gateway6');
}

/** The prefix of the route-up script lines: `sed -n 's/^#route-up: //p' FILE > SCRIPT`. */
export const ROUTE_UP_MARK = '#route-up: ';

export function openVpnWarnings(bypass: Record<Family, Interval[]>, families: readonly Family[], what: string): string[] {
  if (!families.includes(6) || bypass[6].length === 0) return [];
  const n = toCidrs(bypass[6], 6).length;
  return [
    `${n} IPv6 ${what} prefixes have no route line: OpenVPN 2.x routes every route-ipv6 into the tunnel (net_gateway is IPv4 only, a gateway is used only on tap); the file carries them as a route-up script (lines starting "${ROUTE_UP_MARK.trim()}")`,
  ];
}

export function renderOpenVpn(bypass: Record<Family, Interval[]>, families: readonly Family[], form: OpenVpnForm, what: string, header: string): string {
  checkGateway6(form.gateway6);
  const lines = [`# OpenVPN client config: send the ${header} outside the tunnel.`];
  if (families.includes(4)) {
    for (const iv of bypass[4]) for (const p of intervalToPrefixes(iv, 4)) lines.push(`route ${formatIPv4(Number(p.network))} ${maskOf(p.length)} ${form.gateway}`);
  }
  const v6 = families.includes(6) ? toCidrs(bypass[6], 6) : [];
  if (v6.length > 0) {
    const via = form.gateway6 ?? '"$net_gateway_ipv6"';
    // Short comment lines: OpenVPN reads a config line in pieces of 256 characters.
    lines.push(
      `# WARNING: ${v6.length} IPv6 ${what} prefixes have no route line here. OpenVPN 2.x sends every`,
      '# route-ipv6 into the tunnel (net_gateway is IPv4 only; a route-ipv6 gateway is used only on tap).',
      `# To route them outside the tunnel: sed -n 's/^${ROUTE_UP_MARK}//p' THIS_FILE > /etc/openvpn/m365-ipv6.sh,`,
      '# chmod +x it, and add to the client config: script-security 2 and route-up /etc/openvpn/m365-ipv6.sh',
      `${ROUTE_UP_MARK}#!/bin/sh`,
      ...v6.map((c) => `${ROUTE_UP_MARK}ip -6 route replace ${c} via ${via}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Excluded {
  readonly intervals: Record<Family, Interval[]>;
  readonly notes: string[];
  readonly warnings: string[];
}

/** `HOST_OR_IP[:PORT]`, `[IPv6]:PORT` or a bare IPv6 address: the address, or null for a host name. */
function endpointAddress(endpoint: string): { family: Family; value: bigint } | null | 'bad' {
  const bracket = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(endpoint);
  if (bracket !== null) return parseAddressValue(bracket[1]!) ?? 'bad';
  const colons = endpoint.split(':').length - 1;
  if (colons > 1) return parseAddressValue(endpoint) ?? 'bad';
  const host = colons === 1 ? endpoint.slice(0, endpoint.indexOf(':')) : endpoint;
  if (colons === 1 && !/^\d{1,5}$/.test(endpoint.slice(endpoint.indexOf(':') + 1))) return 'bad';
  if (/^[\d.]+$/.test(host)) return parseAddressValue(host) ?? 'bad';
  return /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(host) ? null : 'bad';
}

export function wireGuardExcluded(form: WireGuardForm): Excluded {
  const intervals: Record<Family, Interval[]> = { 4: [], 6: [] };
  const notes: string[] = [];
  const warnings: string[] = [];
  if (form.endpoint !== undefined) {
    const addr = endpointAddress(form.endpoint);
    if (addr === 'bad') throw badOption(`endpoint "${form.endpoint}" is not HOST_OR_IP[:PORT]`, 'endpoint');
    if (addr === null) {
      warnings.push(`endpoint ${form.endpoint} is a host name: its address cannot be left out of AllowedIPs without DNS; give the address (--endpoint ADDR[:PORT]) or --exclude it`);
    } else {
      intervals[addr.family].push({ lo: addr.value, hi: addr.value });
      notes.push(`the peer's endpoint ${formatPrefix(addr.family, addr.value, addr.family === 4 ? 32 : 128)}`);
    }
  } else {
    warnings.push("no --endpoint: if the peer's address falls inside AllowedIPs, wg-quick routes the tunnel's own packets into the tunnel; give --endpoint ADDR[:PORT]");
  }
  for (const text of form.exclude ?? []) {
    const p = parseLooseCidr(text);
    if (p === null) throw badOption(`exclude "${text}" is not an address or CIDR prefix`, 'exclude');
    intervals[p.family].push(p);
    notes.push(formatPrefix(p.family, p.lo, p.length));
  }
  return { intervals: { 4: mergeIntervals(intervals[4]), 6: mergeIntervals(intervals[6]) }, notes, warnings };
}

/** The AllowedIPs prefixes: the complement of the bypass and the excluded addresses, minimal. */
export function allowedIps(bypass: Record<Family, Interval[]>, families: readonly Family[], excluded: Record<Family, Interval[]>): string[] {
  return families.flatMap((f) => toCidrs(complement(mergeIntervals([...bypass[f], ...excluded[f]]), f), f));
}

export function renderWireGuard(bypass: Record<Family, Interval[]>, families: readonly Family[], form: WireGuardForm, header: string): string {
  const ex = wireGuardExcluded(form);
  const allowed = allowedIps(bypass, families, ex.intervals);
  const lines = [`# WireGuard [Peer]: tunnel everything except the ${header}.`];
  if (ex.notes.length > 0) lines.push(`# Also outside the tunnel: ${ex.notes.join(', ')}.`);
  for (const w of ex.warnings) lines.push(`# WARNING: ${w}.`);
  let line = '';
  for (const cidr of allowed) {
    if (line !== '' && line.length + 2 + cidr.length > LINE_MAX) {
      lines.push(line);
      line = '';
    }
    line = line === '' ? `AllowedIPs = ${cidr}` : `${line}, ${cidr}`;
  }
  if (line !== '') lines.push(line);
  return `${lines.join('\n')}\n`;
}
