import type { Change, FamilyCoverage, SnapshotDiff, UpstreamNote } from './diff-types.js';

/** A diff as text for a terminal (`m365fc diff`). */

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
