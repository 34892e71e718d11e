/**
 * The flows the service benchmark sends: a seeded mix drawn from the bootstrap data (host + ip
 * + port flows, IPv4-only, host-only and IPv6-only flows; hits and misses), the same in the
 * load generator and in the in-process stage measurements.
 */
import type { Flow, Snapshot } from '../../src/core/types.js';
import { makeLookupInputs } from '../support/flow-inputs.js';

export interface Workload {
  /** Distinct flows, cycled through. */
  readonly flows: readonly Flow[];
  /** Query strings of single-flow GETs, one per flow. */
  readonly queries: readonly string[];
}

export function makeWorkload(snapshot: Snapshot, count = 4096): Workload {
  const inputs = makeLookupInputs(snapshot.sets, count);
  const kinds = [inputs.flows, inputs.ipv4Flows, inputs.hostFlows, inputs.flows, inputs.ipv6Flows];
  const flows: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const pool = kinds[i % kinds.length]!;
    flows.push(pool[i % pool.length]!);
  }
  const queries = flows.map((f) => {
    const q = new URLSearchParams();
    if (f.ip !== undefined) q.set('ip', f.ip);
    if (f.host !== undefined) q.set('host', f.host);
    if (f.port !== undefined) q.set('port', String(f.port));
    if (f.protocol !== undefined) q.set('protocol', f.protocol);
    return q.toString();
  });
  return { flows, queries };
}

/** `n` flows starting at `offset` (wrapping), as the body of POST /v1/classify. */
export function batchOf(w: Workload, n: number, offset: number): Flow[] {
  const out: Flow[] = [];
  for (let i = 0; i < n; i++) out.push(w.flows[(offset + i) % w.flows.length]!);
  return out;
}
