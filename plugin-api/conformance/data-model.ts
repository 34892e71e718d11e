import { parsePrefix, type Prefix } from './addresses.js';
import type { CertificationData, DataSet, PortRangeLike } from './types.js';

/** An endpoint set as the vector generator reads it: prefixes parsed, port lists as ranges. */
export interface ModelSet {
  readonly id: number;
  readonly category: string;
  /** Patterns with the tenant filled in where the target fills it. */
  readonly patterns: readonly string[];
  readonly v4: readonly Prefix[];
  readonly v6: readonly Prefix[];
  readonly tcp: readonly PortRangeLike[];
  readonly udp: readonly PortRangeLike[];
}

export interface DataModel {
  readonly sets: readonly ModelSet[];
  /** Entries the model could not read (they get no vectors). */
  readonly unreadable: readonly string[];
}

// The tenant positions the web service's TenantName fills (DESIGN.md section 3).
const SHAREPOINT_TENANT = /^\*(?=(?:-[a-z0-9]+)?\.sharepoint\.com$)/;
const AUTODISCOVER_TENANT = /^autodiscover\.\*\.onmicrosoft\.com$/;

/** `*.sharepoint.com` stands for `<tenant>.sharepoint.com` and `<tenant>-my.sharepoint.com` (OneDrive). */
export function applyTenant(pattern: string, tenant: string | null | undefined): string[] {
  if (tenant === null || tenant === undefined || tenant === '') return [pattern];
  if (pattern === '*.sharepoint.com') return [`${tenant}.sharepoint.com`, `${tenant}-my.sharepoint.com`];
  if (SHAREPOINT_TENANT.test(pattern)) return [tenant + pattern.slice(1)];
  if (AUTODISCOVER_TENANT.test(pattern)) return [`autodiscover.${tenant}.onmicrosoft.com`];
  return [pattern];
}

function portRanges(v: DataSet['tcpPorts'], setId: number, unreadable: string[]): PortRangeLike[] {
  if (v === undefined) return [];
  if (typeof v !== 'string') return v.filter((r) => Array.isArray(r) && r.length === 2).map((r) => [r[0], r[1]] as const);
  const out: PortRangeLike[] = [];
  for (const part of v.split(',')) {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(part);
    if (m === null) {
      if (part.trim() !== '') unreadable.push(`set ${setId}: port entry "${part}"`);
      continue;
    }
    const lo = Number(m[1]);
    out.push([lo, m[2] === undefined ? lo : Number(m[2])]);
  }
  return out;
}

export function buildModel(data: CertificationData): DataModel {
  const unreadable: string[] = [];
  const tenant = data.tenant?.toLowerCase();
  const sets = data.sets.map((s): ModelSet => {
    const v4: Prefix[] = [];
    const v6: Prefix[] = [];
    for (const text of s.ips ?? []) {
      const p = parsePrefix(text);
      if (p === null) unreadable.push(`set ${s.id}: ips entry "${text}"`);
      else (p.family === 4 ? v4 : v6).push(p);
    }
    return {
      id: s.id,
      category: s.category,
      patterns: (s.urls ?? []).flatMap((u) => applyTenant(u.toLowerCase(), tenant)),
      v4,
      v6,
      tcp: portRanges(s.tcpPorts, s.id, unreadable),
      udp: portRanges(s.udpPorts, s.id, unreadable),
    };
  });
  return { sets, unreadable };
}

export function inRanges(ranges: readonly PortRangeLike[], port: number): boolean {
  return ranges.some(([lo, hi]) => port >= lo && port <= hi);
}
