/**
 * The engine against the brute-force oracle on generated endpoint sets, shaped the way Microsoft
 * writes them (port lists as strings, IPv6 in any spelling, mixed-case urls) but crowded on
 * purpose: nested prefixes, one prefix in several sets with different ports, every wildcard
 * shape over a few shared labels, all categories, ids out of order. Flows are drawn near the data.
 *
 * The oracle is fed from the generator's own model, not from the engine's ingest, so ingest
 * normalization is checked here too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClassifier, parseEndpointSets } from '../../src/index.js';
import type { Category, EndpointSet, Flow, PortRange, Precedence } from '../../src/index.js';
import {
  Comparison,
  Rng,
  addressTexts,
  hostSpellings,
  hostsFromPattern,
  nearMisses,
  portVariants,
  prefixAddresses,
  wireFlow,
  type EngineUnderTest,
} from '../support/flow-gen.js';
import {
  Oracle,
  formatIPv4,
  formatIPv6,
  formatIPv6Full,
  parsePrefix,
  prefixContains,
  prefixRange,
  type Prefix,
} from '../support/oracle.js';

const SEED = 20_250_531;
const NUM_RUNS = 500;
const FLOWS_PER_RUN = 250;

// ---------------------------------------------------------------------------------------------
// Prefixes: a few shared bases, perturbed and cut at random lengths, so that prefixes nest and
// repeat across sets.

const V4_BASES = [0x0a000000n, 0x0a010200n, 0x34600000n, 0x0d6b0698n, 0x28600000n];
const V6_BASES = [
  0x2603_1006_0000_0000_0000_0000_0000_0000n,
  0x2603_1006_0400_0000_0000_0000_0000_0000n,
  0x2620_01ec_0004_0000_0000_0000_0000_0152n,
  0x2a01_0111_f400_0000_0000_0000_0000_0000n,
];

interface GenPrefix {
  /** As written in the generated response. */
  readonly wire: string;
  /** What the engine must report as `matched`. */
  readonly canonical: string;
}

function prefixContainsPrefix(outer: Prefix, inner: Prefix): boolean {
  return prefixContains(outer, { family: inner.family, value: prefixRange(inner).first });
}

function mask(value: bigint, length: number, bits: number): bigint {
  const hostBits = BigInt(bits - length);
  return (value >> hostBits) << hostBits;
}

const v4Prefix: fc.Arbitrary<GenPrefix> = fc
  .record({
    base: fc.constantFrom(...V4_BASES),
    noise: fc.integer({ min: 0, max: 0xfff }),
    shift: fc.constantFrom(0, 4, 8, 12, 16),
    length: fc.oneof(fc.integer({ min: 8, max: 32 }), fc.constantFrom(16, 24, 31, 32)),
  })
  .map(({ base, noise, shift, length }) => {
    const net = mask((base ^ (BigInt(noise) << BigInt(shift))) & 0xffffffffn, length, 32);
    const text = `${formatIPv4(net)}/${length}`;
    return { wire: text, canonical: text };
  });

const v6Prefix: fc.Arbitrary<GenPrefix> = fc
  .record({
    base: fc.constantFrom(...V6_BASES),
    noise: fc.integer({ min: 0, max: 0xffff }),
    shift: fc.constantFrom(0, 16, 64, 80, 88, 96, 104),
    length: fc.oneof(fc.integer({ min: 16, max: 128 }), fc.constantFrom(32, 36, 40, 46, 48, 64, 128)),
    spelling: fc.constantFrom('compressed', 'full', 'upper'),
  })
  .map(({ base, noise, shift, length, spelling }) => {
    const net = mask(base ^ (BigInt(noise) << BigInt(shift)), length, 128);
    const canonical = `${formatIPv6(net)}/${length}`;
    const wire =
      spelling === 'full' ? `${formatIPv6Full(net)}/${length}` : spelling === 'upper' ? canonical.toUpperCase() : canonical;
    return { wire, canonical };
  });

// ---------------------------------------------------------------------------------------------
// Url patterns: every shape Microsoft uses, over a handful of shared labels and domains.

const LABELS = ['a', 'b', 'ab', 'cdn', 'files', 'my', 'outlook', 'autodiscover', 'contoso'];
const DOMAINS = ['x.com', 'c.com', 'y.x.com', 'x.net', 'sharepoint.com', 'onmicrosoft.com'];

const pattern: fc.Arbitrary<string> = fc
  .record({
    shape: fc.integer({ min: 0, max: 10 }),
    l1: fc.constantFrom(...LABELS),
    l2: fc.constantFrom(...LABELS),
    domain: fc.constantFrom(...DOMAINS),
  })
  .map(({ shape, l1, l2, domain }) => {
    switch (shape) {
      case 0:
        return `${l1}.${domain}`; // exact host
      case 1:
        return `*.${domain}`;
      case 2:
        return `*.${l1}.${domain}`;
      case 3:
        return `*${l1}.${domain}`; // *cdn.onenote.net
      case 4:
        return `*-${l1}.${domain}`; // *-files.sharepoint.com
      case 5:
        return `${l1}.*.${domain}`; // autodiscover.*.onmicrosoft.com
      case 6:
        return `${l1}*${l2}.${domain}`; // a*b.c.com
      case 7:
        return `${l1}.${domain}.*`; // no dot after the last star, a dotted head
      case 8:
        return `${l1}*`; // no dot anywhere to anchor on
      case 9:
        return `*${l1}*.${domain}`; // two stars
      default:
        return `${l1}.${l2}.${domain}`;
    }
  });

// ---------------------------------------------------------------------------------------------
// Port lists, as Microsoft writes them: "80,443", "443,80", "143, 587", "3478-3481".

const PORTS = [1, 25, 80, 143, 443, 587, 993, 995, 3478, 3479, 3480, 3481, 5223, 8080, 65535];

type PortItem = readonly [lo: number, hi: number];

const portItem: fc.Arbitrary<PortItem> = fc.oneof(
  fc.constantFrom(...PORTS).map((p): PortItem => [p, p]),
  fc
    .record({ lo: fc.constantFrom(...PORTS), width: fc.integer({ min: 1, max: 8 }) })
    .map(({ lo, width }): PortItem => [lo, Math.min(65535, lo + width)]),
);

const portList = fc.record({
  items: fc.array(portItem, { maxLength: 4 }),
  separator: fc.constantFrom(',', ', '),
});

function portText(items: readonly PortItem[], separator: string): string {
  return items.map(([lo, hi]) => (lo === hi ? String(lo) : `${lo}-${hi}`)).join(separator);
}

/** Sorted, merged ranges computed the slow, obvious way: every port, then runs. */
function mergedRanges(items: readonly PortItem[]): PortRange[] {
  const ports = new Set<number>();
  for (const [lo, hi] of items) for (let p = lo; p <= hi; p++) ports.add(p);
  const sorted = [...ports].sort((a, b) => a - b);
  const out: Array<[number, number]> = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && last[1] === p - 1) last[1] = p;
    else out.push([p, p]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Endpoint sets and whole responses.

type SetBody = typeof setBody extends fc.Arbitrary<infer T> ? T : never;

interface GenSet {
  readonly wire: Record<string, unknown>;
  readonly model: EndpointSet;
}

const CATEGORY: fc.Arbitrary<Category> = fc.constantFrom('Optimize', 'Allow', 'Default');

const setBody = fc.record({
  urls: fc.array(fc.record({ p: pattern, upper: fc.boolean() }), { maxLength: 5 }),
  // A number stands for a prefix of the response's shared pool, so that sets share prefixes.
  ips: fc.array(fc.oneof(v4Prefix, v6Prefix, fc.integer({ min: 0, max: 2 })), { maxLength: 5 }),
  tcp: portList,
  udp: fc.oneof(portList, fc.constant({ items: [] as PortItem[], separator: ',' })),
  category: CATEGORY,
  expressRoute: fc.boolean(),
  required: fc.boolean(),
  serviceArea: fc.constantFrom('Exchange', 'SharePoint', 'Skype', 'Common'),
  notes: fc.option(fc.constantFrom('', 'Some note'), { nil: undefined }),
  extra: fc.boolean(),
});

function buildSet(id: number, body: SetBody, pool: readonly GenPrefix[]): GenSet {
  const b = { ...body, ips: body.ips.map((p) => (typeof p === 'number' ? (pool[p % pool.length] as GenPrefix) : p)) };
  const wire: Record<string, unknown> = { id, serviceArea: b.serviceArea, serviceAreaDisplayName: `${b.serviceArea} Online` };
  if (b.urls.length > 0) wire['urls'] = b.urls.map(({ p, upper }) => (upper ? p.toUpperCase() : p));
  if (b.ips.length > 0) wire['ips'] = b.ips.map((p) => p.wire);
  if (b.tcp.items.length > 0) wire['tcpPorts'] = portText(b.tcp.items, b.tcp.separator);
  if (b.udp.items.length > 0) wire['udpPorts'] = portText(b.udp.items, b.udp.separator);
  wire['expressRoute'] = b.expressRoute;
  wire['category'] = b.category;
  wire['required'] = b.required;
  if (b.notes !== undefined) wire['notes'] = b.notes;
  if (b.extra) wire['futureField'] = { ignored: true };
  const model: EndpointSet = {
    id,
    serviceArea: b.serviceArea,
    serviceAreaDisplayName: `${b.serviceArea} Online`,
    urls: [...new Set(b.urls.map(({ p }) => p))],
    ips: [...new Set(b.ips.map((p) => p.canonical))],
    tcpPorts: mergedRanges(b.tcp.items),
    udpPorts: mergedRanges(b.udp.items),
    expressRoute: b.expressRoute,
    category: b.category,
    required: b.required,
  };
  return { wire, model };
}

const response = fc
  .uniqueArray(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(setBody, { minLength: ids.length, maxLength: ids.length }),
      fc.array(fc.oneof(v4Prefix, v6Prefix), { minLength: 1, maxLength: 3 }),
    ),
  )
  .map(([ids, bodies, pool]) => ids.map((id, i) => buildSet(id, bodies[i] as SetBody, pool)));

// ---------------------------------------------------------------------------------------------
// Flows near the data.

function flowsFor(sets: readonly EndpointSet[], rng: Rng, count: number): Flow[] {
  const prefixesOf = (set: EndpointSet): Prefix[] =>
    set.ips.map((text) => parsePrefix(text)).filter((p): p is Prefix => p !== null);
  const allPrefixes = sets.flatMap(prefixesOf);
  const allPatterns = sets.flatMap((set) => set.urls);
  const ipFrom = (prefixes: readonly Prefix[]): string | undefined => {
    if (prefixes.length === 0) return undefined;
    const addr = rng.pick(prefixAddresses(rng.pick(prefixes), rng, 2));
    return rng.pick(addressTexts(addr, rng));
  };
  const hostFrom = (patterns: readonly string[]): string | undefined => {
    if (patterns.length === 0) return undefined;
    const p = rng.pick(patterns);
    const hosts = rng.bool(0.75) ? hostsFromPattern(p, rng, 2) : nearMisses(p, rng);
    return hosts.length === 0 ? undefined : rng.pick(hostSpellings(rng.pick(hosts), rng));
  };
  const flows: Flow[] = [];
  while (flows.length < count) {
    // Mostly one set's own prefix, pattern and ports, so that host+ip and eligibility get exercised.
    const set = rng.pick(sets);
    const ipRoll = rng.next();
    const ip = ipRoll < 0.45 ? ipFrom(prefixesOf(set)) : ipRoll < 0.7 ? ipFrom(allPrefixes) : undefined;
    const hostRoll = rng.next();
    const host = hostRoll < 0.45 ? hostFrom(set.urls) : hostRoll < 0.65 ? hostFrom(allPatterns) : undefined;
    const target: { ip?: string; host?: string } = {};
    if (ip !== undefined) target.ip = ip;
    if (host !== undefined) target.host = host;
    if (ip === undefined && host === undefined) target.ip = formatIPv4(rng.bigBits(32));
    const [v] = portVariants(set, rng, 1);
    flows.push(wireFlow(target, rng.bool(0.2) ? {} : (v ?? {}), rng));
  }
  return flows;
}

// ---------------------------------------------------------------------------------------------

describe('engine vs oracle on generated endpoint sets', () => {
  it('ingest normalizes Microsoft-shaped sets to the model', () => {
    fc.assert(
      fc.property(response, (gen) => {
        const sets = parseEndpointSets(gen.map((g) => g.wire));
        const byId = [...gen].sort((a, b) => a.model.id - b.model.id);
        expect(sets.map((s) => s.id)).toEqual(byId.map((g) => g.model.id));
        for (const [i, s] of sets.entries()) {
          const m = (byId[i] as GenSet).model;
          expect([...s.ips].sort()).toEqual([...m.ips].sort());
          expect([...s.urls].sort()).toEqual([...m.urls].sort());
          expect(s.tcpPorts).toEqual(m.tcpPorts);
          expect(s.udpPorts).toEqual(m.udpPorts);
          expect({ c: s.category, e: s.expressRoute, r: s.required, a: s.serviceArea }).toEqual({
            c: m.category,
            e: m.expressRoute,
            r: m.required,
            a: m.serviceArea,
          });
        }
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  });

  it('classifies every flow as the oracle does, in both modes, text and binary', () => {
    let classifications = 0;
    let binary = 0;
    let modesDiffer = 0;
    // Data shapes the brief asks for, counted so that a weakened generator fails loudly.
    let sharedPrefix = 0;
    let nestedPrefix = 0;
    const seen: Record<string, number> = {};
    fc.assert(
      fc.property(
        response,
        fc.integer({ min: 1, max: 0x7fffffff }),
        fc.option(fc.constant('contoso'), { nil: undefined, freq: 3 }),
        fc.option(fc.constant('2020042800'), { nil: undefined }),
        (gen, flowSeed, tenantName, version) => {
          const data = gen.map((g) => g.wire);
          const make = (precedence: Precedence): EngineUnderTest =>
            createClassifier(data, {
              precedence,
              ...(tenantName === undefined ? {} : { tenantName }),
              ...(version === undefined ? {} : { version }),
            });
          const engines = { 'specific-first': make('specific-first'), 'category-first': make('category-first') };
          expect(engines['specific-first'].version).toBe(version ?? '0000000000');
          const models = gen.map((g) => g.model);
          const owners = models.flatMap((m) => m.ips.map((text) => ({ id: m.id, p: parsePrefix(text) as Prefix })));
          if (owners.some((a) => owners.some((b) => a.id !== b.id && a.p.text === b.p.text))) sharedPrefix++;
          if (owners.some((a) => owners.some((b) => a.p.length < b.p.length && prefixContainsPrefix(a.p, b.p)))) nestedPrefix++;
          const cmp = new Comparison(engines, new Oracle(models, tenantName), `seed ${flowSeed} tenant ${String(tenantName)}`);
          for (const flow of flowsFor(models, new Rng(flowSeed), FLOWS_PER_RUN)) cmp.run(flow);
          classifications += cmp.flows;
          binary += cmp.binaryChecks;
          modesDiffer += cmp.modesDiffer;
          for (const [k, n] of Object.entries(cmp.seen)) seen[k] = (seen[k] ?? 0) + n;
          expect(cmp.mismatches, `${cmp.mismatchCount} of ${cmp.flows} disagree; data ${JSON.stringify(data)}`).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: NUM_RUNS },
    );
    console.log(
      `engine-vs-oracle-generated: ${NUM_RUNS} data sets (${sharedPrefix} with a prefix in several sets, ${nestedPrefix} with nested prefixes), ` +
        `${classifications} classifications, ${binary} binary-path checks, ${modesDiffer} flows where the modes differ`,
      seen,
    );
    expect(sharedPrefix).toBeGreaterThan(NUM_RUNS / 10);
    expect(nestedPrefix).toBeGreaterThan(NUM_RUNS / 4);
    expect(modesDiffer).toBeGreaterThan(1000);
    for (const kind of ['host', 'host+ip', 'ip', 'none']) {
      expect(seen[`specific-first:${kind}`] ?? 0, kind).toBeGreaterThan(1000);
    }
  });
});
