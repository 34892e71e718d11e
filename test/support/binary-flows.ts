/**
 * Flows for the binary-protocol tests, drawn near the data with the property tests' generators:
 * host only, ip only and both; IPv4, IPv6 and `::ffff:` spellings; every port/protocol variant
 * of each set; near-miss hosts. All are representable on the wire (valid ip text, ASCII hosts
 * of at most 253 bytes), so each has a JSON twin the engine and the oracle can answer.
 */
import type { EndpointSet, Flow } from '../../src/core/types.js';
import {
  Rng,
  addressTexts,
  hostSpellings,
  hostsFromPattern,
  nearMisses,
  portVariants,
  prefixAddresses,
  prefixesOf,
  randomInside,
  wireFlow,
} from './flow-gen.js';
import { type Address } from './oracle.js';

function randomAddress(rng: Rng): Address {
  return rng.bool(0.6) ? { family: 4, value: rng.bigBits(32) } : { family: 6, value: (0x2n << 124n) | rng.bigBits(124) };
}

export function binaryTestFlows(sets: readonly EndpointSet[], seed: number, count: number): Flow[] {
  const rng = new Rng(seed);
  const prefixes = prefixesOf(sets);
  const withUrls = sets.filter((s) => s.urls.length > 0);
  const flows: Flow[] = [];
  const address = (set: EndpointSet | null): Address => {
    const own = set === null ? [] : prefixesOf([set]);
    if (own.length > 0 && rng.bool(0.5)) return randomInside(rng.pick(own).prefix, rng);
    if (prefixes.length > 0 && rng.bool(0.6)) return rng.pick(prefixAddresses(rng.pick(prefixes).prefix, rng, 1));
    return randomAddress(rng);
  };
  while (flows.length < count) {
    const set = rng.pick(sets);
    const kind = rng.int(0, 2);
    let host: string | undefined;
    if (kind !== 1 && withUrls.length > 0) {
      const s = set.urls.length > 0 ? set : rng.pick(withUrls);
      const pattern = rng.pick(s.urls);
      const hosts = rng.bool(0.8) ? hostsFromPattern(pattern, rng, 1) : nearMisses(pattern, rng);
      if (hosts.length > 0) host = rng.pick(hostSpellings(rng.pick(hosts), rng));
    }
    const ip = kind !== 0 || host === undefined ? rng.pick(addressTexts(address(set), rng)) : undefined;
    const target: { ip?: string; host?: string } = {};
    if (ip !== undefined) target.ip = ip;
    if (host !== undefined && host.length <= 253) target.host = host;
    if (target.ip === undefined && target.host === undefined) continue;
    const [v] = portVariants(set, rng, 1);
    flows.push(wireFlow(target, v ?? {}, rng));
  }
  return flows;
}
