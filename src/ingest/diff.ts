import { formatPorts } from '../core/ports.js';
import type { ChangeRecord, EndpointSet, Snapshot } from '../core/types.js';
import { measureCoverage } from './coverage.js';
import type { Change, CoverageScope, SetChange, SetSummary, SnapshotDiff, UpstreamNote } from './diff-types.js';

/**
 * What changed between two snapshots, set by set, and how much address space and how many host
 * patterns the new one loses. The updater's shrink gate reads `coverage`; the same object is the
 * change event (WebSocket, webhooks, /v1/changes) and what `m365fc diff` prints.
 */

export type * from './diff-types.js';
export { measureCoverage, patternCovers } from './coverage.js';
export { formatDiff } from './diff-text.js';

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
