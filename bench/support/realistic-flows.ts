/**
 * The realistic mixed workload of issue 13: flows as an SD-WAN edge sees them, drawn near a
 * generated set (bench/support/generate-sets.ts: every wildcard shape, nested prefixes across
 * sets, port overlaps). A third host only, a third ip only, a third both; addresses 60 % IPv4,
 * 25 % IPv6, 15 % `::ffff:` IPv4; ports common or absent, protocol tcp, udp or absent; about 1 %
 * invalid (a host with a bad character, with a :port, or an IP literal). Every flow is also
 * representable on the binary wire, so all paths answer the same flows.
 */
import type { EndpointSet, Flow } from '../../src/core/types.js';
import { makeLookupInputs } from './flow-inputs.js';
import { Prng } from './prng.js';

const PORTS = [443, 443, 443, 443, 80, 80, 25, 587, 993, 3478, 3480, 8080, 50010];
const INVALID_HOSTS = ['bad_host!.example.com', 'outlook.office365.com:443', '10.20.30.40', 'a..b.example.com'];

export function realisticFlows(sets: readonly EndpointSet[], count = 8192, seed = 0x13a11): Flow[] {
  const inp = makeLookupInputs(sets, count, seed);
  const prng = new Prng(seed);
  const flows: Flow[] = [];
  const ip = (): string => {
    const r = prng.next();
    if (r < 0.6) return prng.pick(inp.ipv4Texts);
    if (r < 0.85) return prng.pick(inp.ipv6Texts);
    return `::ffff:${prng.pick(inp.ipv4Texts)}`;
  };
  for (let i = 0; i < count; i++) {
    const kind = prng.int(3);
    const flow: Flow = {};
    if (prng.chance(0.01)) flow.host = prng.pick(INVALID_HOSTS);
    else if (kind !== 1) flow.host = prng.pick(inp.hosts);
    if (kind !== 0 || flow.host === undefined) flow.ip = ip();
    if (prng.chance(0.8)) flow.port = prng.pick(PORTS);
    const p = prng.next();
    if (p < 0.7) flow.protocol = 'tcp';
    else if (p < 0.85) flow.protocol = 'udp';
    flows.push(flow);
  }
  // Through JSON, as flows arrive on the wire (flat strings; see flow-inputs.ts).
  return JSON.parse(JSON.stringify(flows)) as Flow[];
}
