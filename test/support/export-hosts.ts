/**
 * Hosts to check exporters against the engine: every pattern of a snapshot instantiated several
 * ways (including the apex of `*.x.com`, fragments, tenant names), near misses around each, and
 * random hosts. Deterministic for a seed.
 */
import type { Snapshot } from '../../src/core/types.js';
import { Rng } from './flow-gen.js';

const FILLERS = ['a', 'www', 'x-y', 'a.b', 'contoso', 'contoso-files', 'contoso-myfiles', 'eur', 'cdn', 'foo.bar.baz', 'onmicrosoft', 'login'];
const TLDS = ['com', 'net', 'org', 'microsoft', 'io', 'de'];

function label(rng: Rng): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  const n = rng.int(1, 10);
  for (let i = 0; i < n; i++) s += chars[rng.int(0, chars.length - 1)];
  return s;
}

function valid(host: string): boolean {
  return host.length > 0 && host.length <= 253 && !host.startsWith('.') && !host.includes('..') && !host.endsWith('.') && !host.includes('*');
}

export function exportHosts(snapshot: Snapshot, seed: number, randomCount = 500): string[] {
  const rng = new Rng(seed);
  const out = new Set<string>();
  const add = (h: string): void => {
    if (valid(h)) out.add(h);
  };
  const patterns = [...new Set(snapshot.sets.flatMap((s) => s.urls))];
  for (const p of patterns) {
    const stars = p.split('*').length - 1;
    if (stars === 0) {
      add(p);
      add(`${label(rng)}.${p}`);
      add(`x${p}`);
      add(`${p}.evil.net`);
      add(p.slice(p.indexOf('.') + 1));
      continue;
    }
    for (const f of FILLERS) add(p.replaceAll('*', f));
    for (let k = 0; k < 3; k++) add(p.replaceAll('*', `${label(rng)}${rng.bool() ? `.${label(rng)}` : ''}`));
    // The apex of `*.x.com`, and the pattern with its star replaced by nothing.
    if (p.startsWith('*.')) add(p.slice(2));
    add(p.replaceAll('*', ''));
    add(`${p.replaceAll('*', 'a')}.evil.net`);
    add(p.replaceAll('*', 'a').replace(/\.[a-z]+$/, '.evil'));
  }
  const apexes = [...new Set(patterns.map((p) => p.replace(/^[^.]*\./, '')).filter((a) => a.includes('.') && !a.includes('*')))];
  for (let i = 0; i < randomCount; i++) {
    if (rng.bool(0.5) && apexes.length > 0) add(`${label(rng)}.${rng.pick(apexes)}`);
    else add(`${label(rng)}.${label(rng)}.${rng.pick(TLDS)}`);
  }
  return [...out].sort();
}
