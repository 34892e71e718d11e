import type { Category, EndpointSet, Snapshot } from '../types.js';
import { formatPorts } from './parse-ports.js';
import { parsePrefix } from './parse-prefix.js';
import type { ChangeRecord } from './change-records.js';

/**
 * What changed between two snapshots, set by set, and how much address space and how many host
 * patterns the new one loses. The updater's shrink gate reads `coverage`; the same object is the
 * change event (WebSocket, webhooks, /v1/changes) and what `m365fc diff` prints.
 */

/** A /changes record reduced to what a reader of the diff needs. */
export interface UpstreamNote {
  readonly changeId: number;
  readonly disposition: string;
  readonly impact: string | null;
  readonly version: string;
  readonly effectiveDate: string | null;
  readonly added?: { readonly ips: readonly string[]; readonly urls: readonly string[] };
  readonly removed?: { readonly ips: readonly string[]; readonly urls: readonly string[] };
}

export interface SetSummary {
  readonly id: number;
  readonly serviceArea: string;
  readonly category: Category;
  readonly required: boolean;
  readonly urls: readonly string[];
  readonly ips: readonly string[];
  readonly tcpPorts: string;
  readonly udpPorts: string;
  readonly upstream: readonly UpstreamNote[];
}

export interface Change<T> {
  readonly from: T;
  readonly to: T;
}

export interface SetChange {
  readonly id: number;
  readonly serviceArea: string;
  readonly category?: Change<Category>;
  readonly required?: Change<boolean>;
  readonly expressRoute?: Change<boolean>;
  readonly serviceAreaChanged?: Change<string>;
  readonly serviceAreaDisplayName?: Change<string>;
  readonly notes?: Change<string | null>;
  readonly tcpPorts?: Change<string>;
  readonly udpPorts?: Change<string>;
  readonly ipsAdded: readonly string[];
  readonly ipsRemoved: readonly string[];
  readonly urlsAdded: readonly string[];
  readonly urlsRemoved: readonly string[];
  readonly upstream: readonly UpstreamNote[];
}

/** Address counts are decimal strings: IPv6 counts exceed 2^53 and JSON has no BigInt. */
export interface FamilyCoverage {
  readonly prefixes: { readonly before: number; readonly after: number };
  readonly addresses: { readonly before: string; readonly after: string; readonly lost: string };
  /** lost / before; 0 when nothing was covered before. */
  readonly lostShare: number;
}

export interface HostCoverage {
  readonly patterns: { readonly before: number; readonly after: number };
  /** Patterns of the old version that no pattern of the new one matches. */
  readonly lost: number;
  readonly lostShare: number;
}

export interface Coverage {
  readonly ipv4: FamilyCoverage;
  readonly ipv6: FamilyCoverage;
  readonly hosts: HostCoverage;
}

export interface SnapshotDiff {
  readonly from: { readonly instance: string; readonly version: string; readonly origin: string };
  readonly to: { readonly instance: string; readonly version: string; readonly origin: string };
  readonly setsAdded: readonly SetSummary[];
  readonly setsRemoved: readonly SetSummary[];
  readonly setsChanged: readonly SetChange[];
  readonly totals: {
    readonly setsAdded: number;
    readonly setsRemoved: number;
    readonly setsChanged: number;
    readonly ipsAdded: number;
    readonly ipsRemoved: number;
    readonly urlsAdded: number;
    readonly urlsRemoved: number;
  };
  readonly coverage: Coverage;
  /** /changes records that name a set this diff does not list (kept, not dropped). */
  readonly upstreamOther: readonly UpstreamNote[];
}

/** What the new data was asked for: the old data is measured on the same terms. */
export interface CoverageScope {
  readonly noIPv6?: boolean | undefined;
  readonly serviceAreas?: readonly string[] | undefined;
}

// ---- address space ----

type Interval = [start: bigint, end: bigint];

function intervals(sets: readonly EndpointSet[], family: 4 | 6): Interval[] {
  const out: Interval[] = [];
  for (const s of sets) {
    for (const ip of s.ips) {
      const p = parsePrefix(ip, s.id);
      if (p.family !== family) continue;
      out.push([p.network, p.network + (1n << BigInt((family === 4 ? 32 : 128) - p.length))]);
    }
  }
  return mergeIntervals(out);
}

/** Sorted, disjoint, non-adjacent half-open intervals. */
function mergeIntervals(list: Interval[]): Interval[] {
  list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Interval[] = [];
  for (const [s, e] of list) {
    const last = out[out.length - 1];
    if (last && s <= last[1]) {
      if (e > last[1]) last[1] = e;
    } else {
      out.push([s, e]);
    }
  }
  return out;
}

function size(list: readonly Interval[]): bigint {
  let total = 0n;
  for (const [s, e] of list) total += e - s;
  return total;
}

/** |a \ b| for merged interval lists, one linear sweep. */
function lostAddresses(a: readonly Interval[], b: readonly Interval[]): bigint {
  let lost = 0n;
  let j = 0;
  for (const [s, e] of a) {
    let cur = s;
    while (j < b.length && (b[j] as Interval)[1] <= cur) j++;
    for (let k = j; k < b.length && cur < e; k++) {
      const [bs, be] = b[k] as Interval;
      if (bs >= e) break;
      if (bs > cur) lost += bs - cur;
      if (be > cur) cur = be;
    }
    if (cur < e) lost += e - cur;
  }
  return lost;
}

function familyCoverage(before: readonly EndpointSet[], after: readonly EndpointSet[], family: 4 | 6): FamilyCoverage {
  const a = intervals(before, family);
  const b = intervals(after, family);
  const count = (sets: readonly EndpointSet[]): number =>
    new Set(sets.flatMap((s) => s.ips.filter((ip) => ip.includes(':') === (family === 6)))).size;
  const total = size(a);
  const lost = lostAddresses(a, b);
  return {
    prefixes: { before: count(before), after: count(after) },
    addresses: { before: total.toString(), after: size(b).toString(), lost: lost.toString() },
    lostShare: total === 0n ? 0 : ratio(lost, total),
  };
}

/** lost/total as a float with 1e-9 resolution; exact enough for a percentage gate. */
function ratio(lost: bigint, total: bigint): number {
  return Number((lost * 1_000_000_000n) / total) / 1e9;
}

// ---- host patterns ----

/**
 * True when every host matched by `p` is matched by `q` (both shExpMatch globs, `*` any run).
 * `p` is read as a literal string in which its own `*` can only be absorbed by a `*` of `q`:
 * sound (never claims coverage that is not there), and exact for the patterns Microsoft publishes.
 */
export function patternCovers(q: string, p: string): boolean {
  if (q === p) return true;
  // Iterative glob match with backtracking to the last star: O(|q|·|p|) worst case.
  let qi = 0;
  let pi = 0;
  let starQ = -1;
  let starP = 0;
  while (pi < p.length) {
    const qc = q[qi];
    if (qc === '*') {
      starQ = qi++;
      starP = pi;
    } else if (qc !== undefined && qc === p[pi] && p[pi] !== '*') {
      qi++;
      pi++;
    } else if (starQ >= 0) {
      qi = starQ + 1;
      pi = ++starP;
    } else {
      return false;
    }
  }
  while (q[qi] === '*') qi++;
  return qi === q.length;
}

function hostCoverage(before: readonly EndpointSet[], after: readonly EndpointSet[]): HostCoverage {
  const a = new Set(before.flatMap((s) => s.urls));
  const b = new Set(after.flatMap((s) => s.urls));
  const wild = [...b].filter((u) => u.includes('*'));
  let lost = 0;
  for (const p of a) {
    if (b.has(p)) continue;
    if (!wild.some((q) => patternCovers(q, p))) lost++;
  }
  return { patterns: { before: a.size, after: b.size }, lost, lostShare: a.size === 0 ? 0 : lost / a.size };
}

function inScope(sets: readonly EndpointSet[], scope: CoverageScope): readonly EndpointSet[] {
  const areas = scope.serviceAreas?.map((a) => a.toLowerCase());
  if (areas === undefined || areas.length === 0) return sets;
  return sets.filter((s) => areas.includes(s.serviceArea.toLowerCase()));
}

/**
 * How much of what `before` covers `after` no longer covers: addresses per family (union of all
 * prefixes, so consolidation into larger prefixes loses nothing) and host patterns. With a scope,
 * `before` is measured only for what `after` was asked for; with noIPv6 the IPv6 share is 0.
 */
export function measureCoverage(before: Snapshot, after: Snapshot, scope: CoverageScope = {}): Coverage {
  const a = inScope(before.sets, scope);
  const b = inScope(after.sets, scope);
  const ipv6 = familyCoverage(a, b, 6);
  return {
    ipv4: familyCoverage(a, b, 4),
    ipv6: scope.noIPv6 === true ? { ...ipv6, lostShare: 0 } : ipv6,
    hosts: hostCoverage(a, b),
  };
}

// ---- set by set ----

function minus(a: readonly string[], b: readonly string[]): string[] {
  const bs = new Set(b);
  return a.filter((x) => !bs.has(x));
}

function notesFor(id: number, records: readonly ChangeRecord[], from: string, to: string): UpstreamNote[] {
  return records.filter((r) => r.endpointSetId === id && inRange(r.version, from, to)).map(toNote);
}

function inRange(version: string, from: string, to: string): boolean {
  return version > from && version <= to;
}

function toNote(r: ChangeRecord): UpstreamNote {
  const items = (x: ChangeRecord['add']): { ips: readonly string[]; urls: readonly string[] } | undefined =>
    x ? { ips: x.ips ?? [], urls: x.urls ?? [] } : undefined;
  const added = items(r.add);
  const removed = items(r.remove);
  return {
    changeId: r.id,
    disposition: r.disposition,
    impact: r.impact,
    version: r.version,
    effectiveDate: r.add?.effectiveDate ?? r.remove?.effectiveDate ?? null,
    ...(added ? { added } : {}),
    ...(removed ? { removed } : {}),
  };
}

function summary(s: EndpointSet, upstream: UpstreamNote[]): SetSummary {
  return {
    id: s.id,
    serviceArea: s.serviceArea,
    category: s.category,
    required: s.required,
    urls: s.urls,
    ips: s.ips,
    tcpPorts: formatPorts(s.tcpPorts),
    udpPorts: formatPorts(s.udpPorts),
    upstream,
  };
}

function changed<T>(from: T, to: T): Change<T> | undefined {
  return from === to ? undefined : { from, to };
}

function compareSet(a: EndpointSet, b: EndpointSet, upstream: UpstreamNote[]): SetChange | null {
  const fields = {
    category: changed(a.category, b.category),
    required: changed(a.required, b.required),
    expressRoute: changed(a.expressRoute, b.expressRoute),
    serviceAreaChanged: changed(a.serviceArea, b.serviceArea),
    serviceAreaDisplayName: changed(a.serviceAreaDisplayName, b.serviceAreaDisplayName),
    notes: changed(a.notes ?? null, b.notes ?? null),
    tcpPorts: changed(formatPorts(a.tcpPorts), formatPorts(b.tcpPorts)),
    udpPorts: changed(formatPorts(a.udpPorts), formatPorts(b.udpPorts)),
  };
  const ipsAdded = minus(b.ips, a.ips);
  const ipsRemoved = minus(a.ips, b.ips);
  const urlsAdded = minus(b.urls, a.urls);
  const urlsRemoved = minus(a.urls, b.urls);
  const present = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const lists = ipsAdded.length + ipsRemoved.length + urlsAdded.length + urlsRemoved.length;
  if (Object.keys(present).length === 0 && lists === 0) return null;
  return { id: b.id, serviceArea: b.serviceArea, ...present, ipsAdded, ipsRemoved, urlsAdded, urlsRemoved, upstream };
}

/**
 * The diff of two snapshots, enriched with /changes records (impact, effectiveDate) between the
 * two versions where given. Pure: the same inputs give the same object.
 */
export function diffSnapshots(before: Snapshot, after: Snapshot, changes: readonly ChangeRecord[] = [], scope: CoverageScope = {}): SnapshotDiff {
  const from = before.version;
  const to = after.version;
  const old = new Map(before.sets.map((s) => [s.id, s]));
  const neu = new Map(after.sets.map((s) => [s.id, s]));
  const setsAdded: SetSummary[] = [];
  const setsRemoved: SetSummary[] = [];
  const setsChanged: SetChange[] = [];
  const listed = new Set<number>();
  for (const b of after.sets) {
    const a = old.get(b.id);
    const notes = notesFor(b.id, changes, from, to);
    if (!a) {
      setsAdded.push(summary(b, notes));
      listed.add(b.id);
      continue;
    }
    const c = compareSet(a, b, notes);
    if (c) {
      setsChanged.push(c);
      listed.add(b.id);
    }
  }
  for (const a of before.sets) {
    if (neu.has(a.id)) continue;
    setsRemoved.push(summary(a, notesFor(a.id, changes, from, to)));
    listed.add(a.id);
  }
  const sum = (f: (c: SetChange) => number, g: (s: SetSummary) => number, added: boolean): number =>
    setsChanged.reduce((n, c) => n + f(c), 0) + (added ? setsAdded : setsRemoved).reduce((n, s) => n + g(s), 0);
  return {
    from: { instance: before.instance, version: from, origin: before.origin },
    to: { instance: after.instance, version: to, origin: after.origin },
    setsAdded,
    setsRemoved,
    setsChanged,
    totals: {
      setsAdded: setsAdded.length,
      setsRemoved: setsRemoved.length,
      setsChanged: setsChanged.length,
      ipsAdded: sum((c) => c.ipsAdded.length, (s) => s.ips.length, true),
      ipsRemoved: sum((c) => c.ipsRemoved.length, (s) => s.ips.length, false),
      urlsAdded: sum((c) => c.urlsAdded.length, (s) => s.urls.length, true),
      urlsRemoved: sum((c) => c.urlsRemoved.length, (s) => s.urls.length, false),
    },
    coverage: measureCoverage(before, after, scope),
    upstreamOther: changes.filter((r) => !listed.has(r.endpointSetId) && inRange(r.version, from, to)).map(toNote),
  };
}

// ---- for people ----

function pct(share: number): string {
  return `${(share * 100).toFixed(share < 0.01 && share > 0 ? 3 : 1)}%`;
}

function noteLines(notes: readonly UpstreamNote[]): string[] {
  return notes.map(
    (n) => `      upstream change ${n.changeId} (${n.disposition}, impact ${n.impact ?? 'n/a'}, version ${n.version}${n.effectiveDate ? `, effective ${n.effectiveDate}` : ''})`,
  );
}

/** The diff as text for a terminal: one block per set, a coverage summary at the end. */
export function formatDiff(d: SnapshotDiff): string {
  const out: string[] = [];
  out.push(`${d.from.instance} ${d.from.version} (${d.from.origin}) -> ${d.to.instance} ${d.to.version} (${d.to.origin})`);
  const t = d.totals;
  out.push(
    `sets: +${t.setsAdded} -${t.setsRemoved} ~${t.setsChanged}; prefixes: +${t.ipsAdded} -${t.ipsRemoved}; urls: +${t.urlsAdded} -${t.urlsRemoved}`,
  );
  for (const s of d.setsAdded) {
    out.push(`+ set ${s.id} ${s.serviceArea} ${s.category}${s.required ? ' required' : ''} tcp:${s.tcpPorts || '-'} udp:${s.udpPorts || '-'}`);
    for (const u of s.urls) out.push(`    + url ${u}`);
    for (const ip of s.ips) out.push(`    + ip  ${ip}`);
    out.push(...noteLines(s.upstream));
  }
  for (const s of d.setsRemoved) {
    out.push(`- set ${s.id} ${s.serviceArea} ${s.category} (${s.urls.length} urls, ${s.ips.length} prefixes)`);
    out.push(...noteLines(s.upstream));
  }
  for (const c of d.setsChanged) {
    out.push(`~ set ${c.id} ${c.serviceArea}`);
    const field = (name: string, v: Change<unknown> | undefined): void => {
      if (v) out.push(`    ${name}: ${String(v.from)} -> ${String(v.to)}`);
    };
    field('category', c.category);
    field('required', c.required);
    field('expressRoute', c.expressRoute);
    field('serviceArea', c.serviceAreaChanged);
    field('serviceAreaDisplayName', c.serviceAreaDisplayName);
    field('tcpPorts', c.tcpPorts);
    field('udpPorts', c.udpPorts);
    field('notes', c.notes);
    for (const u of c.urlsAdded) out.push(`    + url ${u}`);
    for (const u of c.urlsRemoved) out.push(`    - url ${u}`);
    for (const ip of c.ipsAdded) out.push(`    + ip  ${ip}`);
    for (const ip of c.ipsRemoved) out.push(`    - ip  ${ip}`);
    out.push(...noteLines(c.upstream));
  }
  if (d.upstreamOther.length > 0) {
    out.push('upstream changes for sets not listed above:');
    out.push(...noteLines(d.upstreamOther));
  }
  const cv = d.coverage;
  const fam = (name: string, f: FamilyCoverage): string =>
    `${name}: ${f.prefixes.before} -> ${f.prefixes.after} prefixes, ${f.addresses.before} -> ${f.addresses.after} addresses, lost ${f.addresses.lost} (${pct(f.lostShare)})`;
  out.push('coverage:');
  out.push(`  ${fam('IPv4', cv.ipv4)}`);
  out.push(`  ${fam('IPv6', cv.ipv6)}`);
  out.push(`  hosts: ${cv.hosts.patterns.before} -> ${cv.hosts.patterns.after} patterns, lost ${cv.hosts.lost} (${pct(cv.hosts.lostShare)})`);
  return `${out.join('\n')}\n`;
}
