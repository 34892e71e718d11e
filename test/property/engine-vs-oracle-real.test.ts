/**
 * The engine against the brute-force oracle on Microsoft's four real responses, in both
 * precedence modes: addresses at the edges of, inside and just outside every prefix, hosts built
 * from every pattern and near misses, ports in and out of each set's lists, host+ip combinations.
 * The binary lookups (classifyIPv4 / classifyIPv6) are checked against the text path on the way.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createClassifier } from '../../src/index.js';
import type { EndpointSet, Flow, Precedence } from '../../src/index.js';
import { REAL_RESPONSES, readRealResponse } from '../support/data.js';
import {
  Comparison,
  PRECEDENCES,
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
  type EngineUnderTest,
} from '../support/flow-gen.js';
import { Oracle, formatIPv4, formatIPv6, type Address } from '../support/oracle.js';

const SEED = 0x5eed_2025;

function ipFlows(sets: readonly EndpointSet[], rng: Rng): Flow[] {
  const flows: Flow[] = [];
  for (const { set, prefix } of prefixesOf(sets)) {
    for (const addr of prefixAddresses(prefix, rng, 2)) {
      for (const text of addressTexts(addr, rng)) {
        for (const v of portVariants(set, rng, 2)) flows.push(wireFlow({ ip: text }, v, rng));
      }
    }
  }
  return flows;
}

function hostFlows(sets: readonly EndpointSet[], rng: Rng): Flow[] {
  const flows: Flow[] = [];
  for (const set of sets) {
    for (const pattern of set.urls) {
      for (const host of [...hostsFromPattern(pattern, rng, 4), ...nearMisses(pattern, rng)]) {
        for (const spelled of hostSpellings(host, rng)) {
          for (const v of portVariants(set, rng, 2)) flows.push(wireFlow({ host: spelled }, v, rng));
        }
      }
    }
  }
  return flows;
}

const prefixCache = new WeakMap<readonly EndpointSet[], ReturnType<typeof prefixesOf>>();

function cachedPrefixes(sets: readonly EndpointSet[]): ReturnType<typeof prefixesOf> {
  let p = prefixCache.get(sets);
  if (p === undefined) prefixCache.set(sets, (p = prefixesOf(sets)));
  return p;
}

function randomAddress(rng: Rng, sets: readonly EndpointSet[]): Address {
  const prefixes = cachedPrefixes(sets);
  const roll = rng.next();
  if (roll < 0.4 && prefixes.length > 0) {
    // Inside some prefix, so that host+ip sees the ip matching the same or another set.
    return randomInside(rng.pick(prefixes).prefix, rng);
  }
  if (roll < 0.7) return { family: 4, value: rng.bigBits(32) };
  // Near Microsoft's IPv6 space, or anywhere.
  const near = rng.pick([0x2603n, 0x2620n, 0x2a01n]);
  return roll < 0.85 ? { family: 6, value: (near << 112n) | rng.bigBits(112) } : { family: 6, value: rng.bigBits(128) };
}

function comboFlows(sets: readonly EndpointSet[], rng: Rng, count: number): Flow[] {
  const withUrls = sets.filter((s) => s.urls.length > 0);
  const flows: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const set = rng.pick(withUrls);
    const [host] = hostsFromPattern(rng.pick(set.urls), rng, 1);
    if (host === undefined) continue;
    let addr = randomAddress(rng, sets);
    const own = prefixesOf([set]);
    if (own.length > 0 && rng.bool(0.4)) addr = randomInside(rng.pick(own).prefix, rng);
    const ip = addr.family === 4 ? formatIPv4(addr.value) : formatIPv6(addr.value);
    const target = { host: rng.pick(hostSpellings(host, rng)), ip: rng.pick(addressTexts(addr, rng)) };
    for (const v of portVariants(set, rng, 2)) flows.push(wireFlow(rng.bool(0.1) ? { ...target, ip } : target, v, rng));
  }
  return flows;
}

function randomIpFlows(sets: readonly EndpointSet[], rng: Rng, count: number): Flow[] {
  const flows: Flow[] = [];
  for (let i = 0; i < count; i++) {
    const addr = randomAddress(rng, sets);
    const [v] = portVariants(rng.pick(sets), rng, 1);
    flows.push(wireFlow({ ip: rng.pick(addressTexts(addr, rng)) }, v ?? {}, rng));
  }
  return flows;
}

function engines(data: unknown, tenantName?: string): Record<Precedence, EngineUnderTest> {
  const make = (precedence: Precedence) =>
    createClassifier(data, tenantName === undefined ? { precedence } : { precedence, tenantName });
  return { 'specific-first': make('specific-first'), 'category-first': make('category-first') };
}

const totals = { flows: 0, binary: 0, modesDiffer: 0 };

afterAll(() => {
  // Figures for the report.
  console.log(`engine-vs-oracle-real: ${totals.flows} classifications, ${totals.binary} binary-path checks, ${totals.modesDiffer} flows where the modes differ`);
});

describe.each(REAL_RESPONSES)('engine vs oracle on %s', (name) => {
  const data = readRealResponse(name);
  const rng = new Rng(SEED ^ name.length);
  const engine = engines(data);
  const sets = createClassifier(data).snapshot.sets;

  it('agrees on every flow, in both precedence modes, text and binary', () => {
    const cmp = new Comparison(engine, new Oracle(sets), name);
    const flows = [...ipFlows(sets, rng), ...hostFlows(sets, rng), ...comboFlows(sets, rng, 3000), ...randomIpFlows(sets, rng, 4000)];
    for (const flow of flows) cmp.run(flow);
    totals.flows += cmp.flows;
    totals.binary += cmp.binaryChecks;
    totals.modesDiffer += cmp.modesDiffer;
    expect(cmp.mismatches, `${cmp.mismatchCount} of ${cmp.flows} disagree`).toEqual([]);
    // The flows must have exercised every verdict in both modes, or this test proves little.
    for (const mode of PRECEDENCES) {
      for (const kind of ['host', 'ip', 'none']) expect(cmp.seen[`${mode}:${kind}`] ?? 0, `${mode}:${kind}`).toBeGreaterThan(100);
      if (sets.some((s) => s.urls.length > 0 && s.ips.length > 0)) {
        expect(cmp.seen[`${mode}:host+ip`] ?? 0, `${mode}:host+ip`).toBeGreaterThan(50);
      }
    }
    expect(cmp.binaryChecks).toBeGreaterThan(1000);
    // Keeps the generators from shrinking silently: four files, both modes, hundreds of thousands in all.
    expect(cmp.flows).toBeGreaterThan(30_000);
  });

  it('agrees with a tenant name configured', () => {
    const tenant = 'contoso';
    const cmp = new Comparison(engines(data, tenant), new Oracle(sets, tenant), `${name} tenant=${tenant}`);
    const tenantHosts = [
      'contoso.sharepoint.com',
      'contoso-my.sharepoint.com',
      'contoso-files.sharepoint.com',
      'contoso-myfiles.sharepoint.com',
      'other.sharepoint.com',
      'other-files.sharepoint.com',
      'autodiscover.contoso.onmicrosoft.com',
      'autodiscover.other.onmicrosoft.com',
      'contoso.onmicrosoft.com',
    ];
    const flows: Flow[] = [];
    for (const host of tenantHosts) for (const protocol of [undefined, 'tcp', 'udp']) flows.push(protocol === undefined ? { host } : { host, protocol, port: 443 });
    flows.push(...hostFlows(sets, rng).filter((_, i) => i % 4 === 0));
    for (const flow of flows) cmp.run(flow);
    totals.flows += cmp.flows;
    expect(cmp.mismatches, `${cmp.mismatchCount} of ${cmp.flows} disagree`).toEqual([]);
  });

  it('with a tenant, *.sharepoint.com (set 31) keeps OneDrive: <tenant>-my.sharepoint.com is Optimize, as Microsoft lists it', () => {
    const oracle = new Oracle(sets, 'contoso');
    const engine = createClassifier(data, { tenantName: 'contoso' });
    for (const host of ['contoso.sharepoint.com', 'contoso-my.sharepoint.com']) {
      const want = oracle.classify({ host, port: 443, protocol: 'tcp' }, { precedence: 'specific-first', version: engine.version }).result;
      expect([want.category, want.endpointSetId, want.matched], host).toEqual(['Optimize', 31, host]);
      const got = engine.classify({ host, port: 443, protocol: 'tcp' });
      expect(got, host).toMatchObject({ category: 'Optimize', endpointSetId: 31, matched: host });
    }
    // Other tenants' SharePoint hosts are not the configured tenant's.
    expect(oracle.classify({ host: 'fabrikam-my.sharepoint.com' }, { precedence: 'specific-first', version: engine.version }).result.endpointSetId).not.toBe(31);
  });
});
