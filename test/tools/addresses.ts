/** Addresses to check exported address sets against the engine: first, last and just outside every prefix. */
import { prefixInterval, formatPrefix, type Family } from '../../src/core/prefixes.js';
import { isFlowError, type Category, type Snapshot } from '../../src/core/types.js';
import type { Classifier } from '../../src/match/classifier.js';

export interface Probe {
  readonly family: Family;
  readonly value: bigint;
  readonly text: string;
}

const MAX: Record<Family, bigint> = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n };

export function addressText(family: Family, value: bigint): string {
  const t = formatPrefix(family, value, family === 4 ? 32 : 128);
  return t.slice(0, t.indexOf('/'));
}

/** First, last, one before and one after every prefix of the snapshot; each address once. */
export function boundaryProbes(snapshot: Snapshot): Probe[] {
  const seen = new Set<string>();
  const out: Probe[] = [];
  for (const s of snapshot.sets) {
    for (const ip of s.ips) {
      const p = prefixInterval(ip);
      for (const v of [p.lo, p.hi, p.lo - 1n, p.hi + 1n]) {
        if (v < 0n || v > MAX[p.family]) continue;
        const key = `${p.family}:${v}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ family: p.family, value: v, text: addressText(p.family, v) });
      }
    }
  }
  return out;
}

/** The engine's answer for a flow to the address (with a protocol and port when given). */
export function engineAnswer(engine: Classifier, ip: string, protocol?: 'tcp' | 'udp', port?: number): { category: Category | null; endpointSetId: number | null; matched: string | null } {
  const r = engine.classify(protocol === undefined ? { ip } : { ip, protocol, ...(port === undefined ? {} : { port }) });
  if (isFlowError(r)) throw new Error(`${ip}: ${r.error.message}`);
  return { category: r.category, endpointSetId: r.endpointSetId, matched: r.matched };
}
