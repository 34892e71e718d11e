/**
 * DESIGN.md section 3, example by example, on small hand-made data sets. Each expectation is
 * also checked against the brute-force oracle, so the oracle and the engine are held to the
 * same written examples.
 */
import { describe, expect, it } from 'vitest';
import { createClassifier, isFlowError } from '../../../src/index.js';
import type { Classification, ClassifyResult, Flow, Precedence } from '../../../src/index.js';
import { Oracle, globMatch, type OracleFlow } from '../../support/oracle.js';

interface RawSet {
  id: number;
  serviceArea?: string;
  serviceAreaDisplayName?: string;
  urls?: string[];
  ips?: string[];
  tcpPorts?: string;
  udpPorts?: string;
  expressRoute?: boolean;
  category?: string;
  required?: boolean;
  notes?: string;
}

/** A Microsoft-shaped response: defaults for the fields a test does not care about. */
function response(sets: RawSet[]): unknown[] {
  return sets.map((s) => ({
    serviceArea: 'Common',
    serviceAreaDisplayName: 'Microsoft 365 Common and Office Online',
    tcpPorts: '80,443',
    expressRoute: false,
    category: 'Default',
    required: true,
    ...s,
  }));
}

function classifiers(sets: RawSet[]) {
  const data = response(sets);
  const specific = createClassifier(data, { precedence: 'specific-first' });
  const category = createClassifier(data, { precedence: 'category-first' });
  const oracle = new Oracle(specific.snapshot.sets);
  return { specific, category, oracle, default: createClassifier(data) };
}

function ok(r: ClassifyResult): Classification {
  if (isFlowError(r)) throw new Error(`unexpected flow error ${r.error.code}: ${r.error.message}`);
  return r;
}

type Expect = { set: number | null; matchedBy?: string; matched?: string };

/**
 * Classifies `flow` with the engine in `mode` and checks the winning set (and optionally how it
 * matched), then checks the oracle says the same.
 */
function check(sets: RawSet[], flow: Flow, mode: Precedence, want: Expect): Classification {
  const c = classifiers(sets);
  const engine = mode === 'specific-first' ? c.specific : c.category;
  const got = ok(engine.classify(flow));
  expect({ set: got.endpointSetId, matchedBy: got.matchedBy, matched: got.matched }).toMatchObject({
    set: want.set,
    ...(want.matchedBy === undefined ? {} : { matchedBy: want.matchedBy }),
    ...(want.matched === undefined ? {} : { matched: want.matched }),
  });
  const oracleFlow: OracleFlow = {};
  if (flow.ip !== undefined) oracleFlow.ip = flow.ip;
  if (flow.host !== undefined) oracleFlow.host = flow.host;
  if (flow.port !== undefined) oracleFlow.port = Number(flow.port);
  if (flow.protocol !== undefined) oracleFlow.protocol = flow.protocol.toLowerCase() as 'tcp' | 'udp';
  const o = c.oracle.classify(oracleFlow, { precedence: mode, version: engine.version });
  expect(o.result.endpointSetId).toBe(want.set);
  if (want.matchedBy !== undefined) expect(o.result.matchedBy).toBe(want.matchedBy);
  return got;
}

describe('host patterns are anchored globs where * matches any run, dots included', () => {
  const cases: Array<[pattern: string, host: string, matches: boolean]> = [
    ['*.x.com', 'a.x.com', true],
    ['*.x.com', 'a.b.x.com', true],
    ['*.x.com', 'x.com', false],
    ['*.x.com', 'evilx.com', false],
    ['*.x.com', 'a.x.com.evil.net', false],
    ['*cdn.onenote.net', 'cdn.onenote.net', true],
    ['*cdn.onenote.net', 'foocdn.onenote.net', true],
    ['*cdn.onenote.net', 'a.b.foocdn.onenote.net', true],
    ['*cdn.onenote.net', 'cdn.onenote.net.evil.net', false],
    ['*cdn.onenote.net', 'cdx.onenote.net', false],
    ['autodiscover.*.onmicrosoft.com', 'autodiscover.contoso.onmicrosoft.com', true],
    ['autodiscover.*.onmicrosoft.com', 'autodiscover.a.b.onmicrosoft.com', true],
    ['autodiscover.*.onmicrosoft.com', 'autodiscover.onmicrosoft.com', false],
    ['autodiscover.*.onmicrosoft.com', 'xautodiscover.contoso.onmicrosoft.com', false],
    ['*-files.sharepoint.com', 'contoso-files.sharepoint.com', true],
    ['*-files.sharepoint.com', 'contoso.files.sharepoint.com', false],
    ['a*b.c.com', 'ab.c.com', true],
    ['a*b.c.com', 'a.x.b.c.com', true],
    ['a*b.c.com', 'ba.c.com', false],
    ['outlook.office.com', 'outlook.office.com', true],
    ['outlook.office.com', 'xoutlook.office.com', false],
    ['outlook.office.com', 'outlook.office.com.evil.net', false],
  ];
  it.each(cases)('%s vs %s → %s', (pattern, host, matches) => {
    expect(globMatch(pattern, host)).toBe(matches);
    const c = classifiers([{ id: 1, urls: [pattern], category: 'Allow' }]);
    const got = ok(c.specific.classify({ host }));
    expect(got.m365).toBe(matches);
    expect(got.matched).toBe(matches ? pattern : null);
  });

  it('lower-cases the host and removes one trailing dot', () => {
    const c = classifiers([{ id: 1, urls: ['*.x.com'], category: 'Allow' }]);
    expect(ok(c.specific.classify({ host: 'A.X.COM' })).endpointSetId).toBe(1);
    expect(ok(c.specific.classify({ host: 'a.x.com.' })).endpointSetId).toBe(1);
    expect(ok(c.specific.classify({ host: 'MiXeD.X.Com.' })).endpointSetId).toBe(1);
  });

  it('does not match the apex of a *.x pattern', () => {
    check([{ id: 1, urls: ['*.x.com'] }], { host: 'x.com' }, 'specific-first', { set: null });
  });
});

describe('precedence, specific-first (the default)', () => {
  it('is the default mode', () => {
    const sets: RawSet[] = [
      { id: 1, urls: ['*.x.com'], category: 'Optimize' },
      { id: 2, urls: ['a.x.com'], category: 'Default' },
    ];
    const c = classifiers(sets);
    expect(c.default.precedence).toBe('specific-first');
    expect(ok(c.default.classify({ host: 'a.x.com' })).endpointSetId).toBe(2);
  });

  it('an exact host beats any wildcard, whatever the category', () => {
    const sets: RawSet[] = [
      { id: 1, urls: ['*.x.com'], category: 'Optimize' },
      { id: 2, urls: ['a.x.com'], category: 'Default' },
    ];
    check(sets, { host: 'a.x.com' }, 'specific-first', { set: 2, matchedBy: 'host', matched: 'a.x.com' });
    check(sets, { host: 'b.x.com' }, 'specific-first', { set: 1, matched: '*.x.com' });
  });

  it('an exact host beats a wildcard with as many literal characters', () => {
    // `ab*.x.com` has 8 literal characters, as many as `ab.x.com`.
    const sets: RawSet[] = [
      { id: 1, urls: ['ab*.x.com'], category: 'Optimize' },
      { id: 2, urls: ['ab.x.com'], category: 'Default' },
    ];
    check(sets, { host: 'ab.x.com' }, 'specific-first', { set: 2, matched: 'ab.x.com' });
  });

  it('a wildcard with more literal characters beats one with fewer', () => {
    const sets: RawSet[] = [
      { id: 1, urls: ['*.x.com'], category: 'Optimize' },
      { id: 2, urls: ['*cdn.x.com'], category: 'Default' },
      { id: 3, urls: ['autodiscover.*.x.com'], category: 'Default' },
    ];
    check(sets, { host: 'foocdn.x.com' }, 'specific-first', { set: 2, matched: '*cdn.x.com' });
    check(sets, { host: 'autodiscover.contoso.x.com' }, 'specific-first', {
      set: 3,
      matched: 'autodiscover.*.x.com',
    });
    check(sets, { host: 'foo.x.com' }, 'specific-first', { set: 1 });
  });

  it('counts literal characters, not labels', () => {
    // `*.sharepoint.com` has 15 literals; `*-files.sharepoint.com` has 21.
    const sets: RawSet[] = [
      { id: 1, urls: ['*.sharepoint.com'], category: 'Optimize' },
      { id: 2, urls: ['*-files.sharepoint.com'], category: 'Default' },
    ];
    check(sets, { host: 'contoso-files.sharepoint.com' }, 'specific-first', { set: 2 });
    check(sets, { host: 'contoso.sharepoint.com' }, 'specific-first', { set: 1 });
  });

  it('a longer prefix beats a shorter one', () => {
    const sets: RawSet[] = [
      { id: 1, ips: ['10.0.0.0/8', '2603:1000::/24'], category: 'Optimize' },
      { id: 2, ips: ['10.1.0.0/16', '2603:1006::/40'], category: 'Default' },
    ];
    check(sets, { ip: '10.1.2.3' }, 'specific-first', { set: 2, matchedBy: 'ip', matched: '10.1.0.0/16' });
    check(sets, { ip: '10.2.0.1' }, 'specific-first', { set: 1, matched: '10.0.0.0/8' });
    check(sets, { ip: '2603:1006::1' }, 'specific-first', { set: 2, matched: '2603:1006::/40' });
    check(sets, { ip: '2603:1007::1' }, 'specific-first', { set: 1, matched: '2603:1000::/24' });
  });

  it('ties go to the higher category', () => {
    const sets: RawSet[] = [
      { id: 1, urls: ['*.x.com'], ips: ['10.0.0.0/8'], category: 'Default' },
      { id: 2, urls: ['*.x.com'], ips: ['10.0.0.0/8'], category: 'Allow' },
      { id: 3, urls: ['*.y.com'], ips: ['11.0.0.0/8'], category: 'Allow' },
      { id: 4, urls: ['*.y.com'], ips: ['11.0.0.0/8'], category: 'Optimize' },
    ];
    check(sets, { host: 'a.x.com' }, 'specific-first', { set: 2 });
    check(sets, { ip: '10.9.9.9' }, 'specific-first', { set: 2 });
    check(sets, { host: 'a.y.com' }, 'specific-first', { set: 4 });
    check(sets, { ip: '11.9.9.9' }, 'specific-first', { set: 4 });
  });

  it('then to the lower set id', () => {
    const sets: RawSet[] = [
      { id: 7, urls: ['*.x.com'], ips: ['10.0.0.0/8'], category: 'Allow' },
      { id: 3, urls: ['*.x.com'], ips: ['10.0.0.0/8'], category: 'Allow' },
      { id: 5, urls: ['*.x.com'], ips: ['10.0.0.0/8'], category: 'Allow' },
    ];
    check(sets, { host: 'a.x.com' }, 'specific-first', { set: 3 });
    check(sets, { ip: '10.0.0.1' }, 'category-first', { set: 3 });
  });
});

describe('precedence, category-first', () => {
  const sets: RawSet[] = [
    { id: 1, urls: ['*.x.com'], ips: ['10.0.0.0/8'], category: 'Optimize' },
    { id: 2, urls: ['a.x.com', '*cdn.x.com'], ips: ['10.1.0.0/16'], category: 'Default' },
    { id: 3, urls: ['b.x.com'], ips: ['10.2.0.0/16'], category: 'Allow' },
    { id: 4, urls: ['*.b.x.com'], ips: ['10.2.3.0/24'], category: 'Allow' },
  ];

  it('differs from specific-first where a more specific match has a lower category', () => {
    check(sets, { host: 'a.x.com' }, 'specific-first', { set: 2 });
    check(sets, { host: 'a.x.com' }, 'category-first', { set: 1, matched: '*.x.com' });
    check(sets, { host: 'foocdn.x.com' }, 'specific-first', { set: 2 });
    check(sets, { host: 'foocdn.x.com' }, 'category-first', { set: 1 });
    check(sets, { ip: '10.1.0.1' }, 'specific-first', { set: 2 });
    check(sets, { ip: '10.1.0.1' }, 'category-first', { set: 1, matched: '10.0.0.0/8' });
  });

  it('still ranks by specificity within a category', () => {
    check(sets, { host: 'c.b.x.com' }, 'category-first', { set: 1 });
    check(sets, { ip: '10.2.3.4' }, 'category-first', { set: 1 });
    const allowOnly = sets.filter((s) => s.category === 'Allow');
    check(allowOnly, { host: 'b.x.com' }, 'category-first', { set: 3 });
    check(allowOnly, { host: 'c.b.x.com' }, 'category-first', { set: 4 });
    check(allowOnly, { ip: '10.2.3.4' }, 'category-first', { set: 4 });
    check(allowOnly, { ip: '10.2.4.4' }, 'category-first', { set: 3 });
  });

  it('reports its mode', () => {
    expect(classifiers(sets).category.precedence).toBe('category-first');
  });
});

describe('host verdict decides, then ip verdict', () => {
  const sets: RawSet[] = [
    { id: 1, urls: ['*.x.com'], ips: ['10.1.0.0/16'], category: 'Allow' },
    { id: 2, ips: ['10.0.0.0/8', '10.1.2.0/24'], category: 'Optimize' },
    { id: 3, urls: ['only.host.com'], category: 'Default' },
  ];

  it('host+ip when the winning set also contains the ip', () => {
    check(sets, { host: 'a.x.com', ip: '10.1.9.9' }, 'specific-first', {
      set: 1,
      matchedBy: 'host+ip',
      matched: '*.x.com',
    });
  });

  it('host when the ip belongs to another set, even a longer prefix of a higher category', () => {
    check(sets, { host: 'a.x.com', ip: '10.1.2.3' }, 'specific-first', { set: 1, matchedBy: 'host+ip' });
    check(sets, { host: 'a.x.com', ip: '10.5.0.1' }, 'specific-first', { set: 1, matchedBy: 'host' });
    check(sets, { host: 'a.x.com', ip: '10.5.0.1' }, 'category-first', { set: 1, matchedBy: 'host' });
    check(sets, { host: 'only.host.com', ip: '10.1.2.3' }, 'specific-first', { set: 3, matchedBy: 'host' });
  });

  it('host when the ip matches nothing', () => {
    check(sets, { host: 'a.x.com', ip: '192.0.2.1' }, 'specific-first', { set: 1, matchedBy: 'host' });
  });

  it('ip when the host matches nothing', () => {
    check(sets, { host: 'unrelated.example', ip: '10.1.2.3' }, 'specific-first', {
      set: 2,
      matchedBy: 'ip',
      matched: '10.1.2.0/24',
    });
    check(sets, { host: 'unrelated.example', ip: '10.1.3.3' }, 'specific-first', {
      set: 1,
      matchedBy: 'ip',
      matched: '10.1.0.0/16',
    });
  });

  it('not Microsoft 365 when nothing matches', () => {
    const c = classifiers(sets);
    const got = ok(c.specific.classify({ host: 'unrelated.example', ip: '192.0.2.1' }));
    expect(got).toEqual({
      m365: false,
      category: null,
      serviceArea: null,
      endpointSetId: null,
      expressRoute: null,
      required: null,
      matchedBy: null,
      matched: null,
      action: 'none',
      version: c.specific.version,
    });
  });
});

describe('eligibility by port and protocol', () => {
  const sets: RawSet[] = [
    { id: 1, urls: ['*.x.com'], ips: ['10.0.0.0/8'], tcpPorts: '443', udpPorts: '3478-3481', category: 'Optimize' },
    { id: 2, urls: ['*.x.com'], ips: ['10.0.0.0/8'], tcpPorts: '80,443,8080', category: 'Default' },
  ];
  const cases: Array<[flow: Flow, set: number | null]> = [
    [{ host: 'a.x.com', port: 443, protocol: 'tcp' }, 1],
    [{ host: 'a.x.com', port: 443 }, 1],
    [{ host: 'a.x.com', port: 80 }, 2],
    [{ host: 'a.x.com', port: 8080, protocol: 'tcp' }, 2],
    [{ host: 'a.x.com', port: 3479, protocol: 'udp' }, 1],
    [{ host: 'a.x.com', port: 3478, protocol: 'udp' }, 1],
    [{ host: 'a.x.com', port: 3481, protocol: 'udp' }, 1],
    [{ host: 'a.x.com', port: 3482, protocol: 'udp' }, null],
    [{ host: 'a.x.com', port: 3479, protocol: 'tcp' }, null],
    [{ host: 'a.x.com', port: 3479 }, null],
    [{ host: 'a.x.com', port: 443, protocol: 'udp' }, null],
    [{ host: 'a.x.com', protocol: 'udp' }, 1],
    [{ host: 'a.x.com', protocol: 'tcp' }, 1],
    [{ host: 'a.x.com' }, 1],
    [{ ip: '10.1.1.1', port: 80 }, 2],
    [{ ip: '10.1.1.1', port: 3480, protocol: 'udp' }, 1],
    [{ ip: '10.1.1.1', port: 22 }, null],
  ];
  it.each(cases)('%j → set %s', (flow, set) => {
    check(sets, flow, 'specific-first', { set });
  });

  it('a set without ports for a protocol is not eligible for that protocol', () => {
    // Written out in full: `response()` would add default tcpPorts.
    const base = { serviceArea: 'Common', serviceAreaDisplayName: 'Common', expressRoute: false, category: 'Default', required: true };
    const c = createClassifier([
      { ...base, id: 1, urls: ['*.x.com'], tcpPorts: '443' },
      { ...base, id: 2, urls: ['*.y.com'], udpPorts: '3478' },
      { ...base, id: 3, urls: ['*.z.com'] },
    ]);
    expect(ok(c.classify({ host: 'a.x.com', protocol: 'udp' })).m365).toBe(false);
    expect(ok(c.classify({ host: 'a.y.com', protocol: 'udp' })).endpointSetId).toBe(2);
    expect(ok(c.classify({ host: 'a.y.com', protocol: 'tcp' })).m365).toBe(false);
    expect(ok(c.classify({ host: 'a.y.com' })).endpointSetId).toBe(2);
    expect(ok(c.classify({ host: 'a.y.com', port: 3478 })).m365).toBe(false);
    expect(ok(c.classify({ host: 'a.z.com' })).endpointSetId).toBe(3);
    expect(ok(c.classify({ host: 'a.z.com', protocol: 'tcp' })).m365).toBe(false);
    expect(ok(c.classify({ host: 'a.z.com', port: 443 })).m365).toBe(false);
  });

  it('an ineligible host winner gives way to the ip verdict', () => {
    const s: RawSet[] = [
      { id: 1, urls: ['*.x.com'], tcpPorts: '443' },
      { id: 2, ips: ['10.0.0.0/8'], tcpPorts: '25' },
    ];
    check(s, { host: 'a.x.com', ip: '10.0.0.1', port: 25 }, 'specific-first', { set: 2, matchedBy: 'ip' });
    check(s, { host: 'a.x.com', ip: '10.0.0.1', port: 443 }, 'specific-first', { set: 1, matchedBy: 'host' });
  });

  it('accepts a decimal port string and a protocol in any case', () => {
    const c = classifiers(sets);
    expect(ok(c.specific.classify({ host: 'a.x.com', port: '3479', protocol: 'UDP' })).endpointSetId).toBe(1);
    expect(ok(c.specific.classify({ host: 'a.x.com', port: '80', protocol: 'Tcp' })).endpointSetId).toBe(2);
  });
});

describe('the answer', () => {
  const sets: RawSet[] = [
    { id: 11, serviceArea: 'Exchange', urls: ['o.x.com'], category: 'Optimize', expressRoute: true, required: true },
    { id: 12, serviceArea: 'SharePoint', urls: ['a.x.com'], category: 'Allow', expressRoute: false, required: false },
    { id: 13, serviceArea: 'Skype', urls: ['d.x.com'], category: 'Default', expressRoute: true, required: false },
  ];

  it('names the set and the recommended action per category', () => {
    const c = classifiers(sets);
    expect(ok(c.specific.classify({ host: 'o.x.com' }))).toEqual({
      m365: true,
      category: 'Optimize',
      serviceArea: 'Exchange',
      endpointSetId: 11,
      expressRoute: true,
      required: true,
      matchedBy: 'host',
      matched: 'o.x.com',
      action: 'bypass',
      version: '0000000000',
    });
    expect(ok(c.specific.classify({ host: 'a.x.com' }))).toMatchObject({
      category: 'Allow',
      serviceArea: 'SharePoint',
      expressRoute: false,
      required: false,
      action: 'direct',
    });
    expect(ok(c.specific.classify({ host: 'd.x.com' }))).toMatchObject({ category: 'Default', action: 'default' });
  });

  it('carries the configured data version', () => {
    const c = createClassifier(response(sets), { version: '2020042800' });
    expect(c.version).toBe('2020042800');
    expect(ok(c.classify({ host: 'o.x.com' })).version).toBe('2020042800');
    expect(ok(c.classify({ host: 'nothing.example' })).version).toBe('2020042800');
  });

  it('is frozen', () => {
    const c = classifiers(sets);
    expect(Object.isFrozen(ok(c.specific.classify({ host: 'o.x.com' })))).toBe(true);
    expect(Object.isFrozen(ok(c.specific.classify({ host: 'nothing.example' })))).toBe(true);
  });

  it('treats an IPv4-mapped IPv6 address as the IPv4 address', () => {
    const c = classifiers([{ id: 1, ips: ['10.0.0.0/8'] }]);
    const plain = ok(c.specific.classify({ ip: '10.1.2.3' }));
    expect(plain.endpointSetId).toBe(1);
    expect(ok(c.specific.classify({ ip: '::ffff:10.1.2.3' }))).toEqual(plain);
    expect(ok(c.specific.classify({ ip: '::FFFF:10.1.2.3' }))).toEqual(plain);
    expect(ok(c.specific.classify({ ip: '0:0:0:0:0:ffff:10.1.2.3' }))).toEqual(plain);
  });

  it('accepts IPv6 text in any valid spelling', () => {
    const c = classifiers([{ id: 1, ips: ['2603:1006::/40'] }]);
    for (const ip of ['2603:1006::1', '2603:1006:0:0:0:0:0:1', '2603:1006:0000:0000:0000:0000:0000:0001', '2603:1006::0.0.0.1', '2603:1006:00ff::']) {
      expect(ok(c.specific.classify({ ip })).endpointSetId, ip).toBe(1);
    }
    expect(ok(c.specific.classify({ ip: '2603:1007::1' })).m365).toBe(false);
  });
});

describe('invalid flows return a coded error and never throw', () => {
  const c = createClassifier(response([{ id: 1, urls: ['*.x.com'], ips: ['10.0.0.0/8'] }]));
  const label63 = 'a'.repeat(63);
  // 4 labels of 63 + 3 dots = 255; trim to exact lengths.
  const host253 = `${label63}.${label63}.${label63}.${'b'.repeat(61)}`;
  const host254 = `${label63}.${label63}.${label63}.${'b'.repeat(62)}`;

  const cases: Array<[name: string, code: string, flow: unknown]> = [
    ['non-object null', 'M365FC_ERR_FLOW_NOT_OBJECT', null],
    ['non-object string', 'M365FC_ERR_FLOW_NOT_OBJECT', 'a.x.com'],
    ['non-object number', 'M365FC_ERR_FLOW_NOT_OBJECT', 42],
    ['non-object array', 'M365FC_ERR_FLOW_NOT_OBJECT', [{ host: 'a.x.com' }]],
    ['non-object undefined', 'M365FC_ERR_FLOW_NOT_OBJECT', undefined],
    ['no ip nor host', 'M365FC_ERR_FLOW_NO_TARGET', {}],
    ['only port and protocol', 'M365FC_ERR_FLOW_NO_TARGET', { port: 443, protocol: 'tcp' }],
    ['ip garbage', 'M365FC_ERR_FLOW_BAD_IP', { ip: 'hello' }],
    ['ip three octets', 'M365FC_ERR_FLOW_BAD_IP', { ip: '10.1.2' }],
    ['ip five octets', 'M365FC_ERR_FLOW_BAD_IP', { ip: '10.1.2.3.4' }],
    ['ip octet 256', 'M365FC_ERR_FLOW_BAD_IP', { ip: '10.1.2.256' }],
    ['ip empty', 'M365FC_ERR_FLOW_BAD_IP', { ip: '' }],
    ['ip with prefix length', 'M365FC_ERR_FLOW_BAD_IP', { ip: '10.0.0.0/8' }],
    ['ipv6 two ::', 'M365FC_ERR_FLOW_BAD_IP', { ip: '2603::1::2' }],
    ['ipv6 bad hex', 'M365FC_ERR_FLOW_BAD_IP', { ip: '2603:g::1' }],
    ['ipv6 nine groups', 'M365FC_ERR_FLOW_BAD_IP', { ip: '1:2:3:4:5:6:7:8:9' }],
    ['ipv6 five-digit group', 'M365FC_ERR_FLOW_BAD_IP', { ip: '2603:10060::1' }],
    ['ipv6 with zone', 'M365FC_ERR_FLOW_BAD_IP', { ip: 'fe80::1%eth0' }],
    ['ipv6 in brackets', 'M365FC_ERR_FLOW_BAD_IP', { ip: '[2603:1006::1]' }],
    ['ip not a string', 'M365FC_ERR_FLOW_BAD_IP', { ip: 167772161 }],
    ['host with :port', 'M365FC_ERR_FLOW_HOST_HAS_PORT', { host: 'a.x.com:443' }],
    ['host IPv4 literal', 'M365FC_ERR_FLOW_HOST_IS_IP', { host: '10.1.2.3' }],
    ['host empty label', 'M365FC_ERR_FLOW_BAD_HOST', { host: 'a..x.com' }],
    ['host leading dot', 'M365FC_ERR_FLOW_BAD_HOST', { host: '.x.com' }],
    ['host empty', 'M365FC_ERR_FLOW_BAD_HOST', { host: '' }],
    ['host with space', 'M365FC_ERR_FLOW_BAD_HOST', { host: 'a x.com' }],
    ['host with slash', 'M365FC_ERR_FLOW_BAD_HOST', { host: 'a.x.com/path' }],
    ['host with star', 'M365FC_ERR_FLOW_BAD_HOST', { host: '*.x.com' }],
    ['host not a string', 'M365FC_ERR_FLOW_BAD_HOST', { host: 42 }],
    ['host 254 characters', 'M365FC_ERR_FLOW_HOST_TOO_LONG', { host: host254 }],
    ['port 0', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: 0 }],
    ['port 65536', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: 65536 }],
    ['port 70000', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: 70000 }],
    ['port -1', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: -1 }],
    ['port x', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: 'x' }],
    ['port 1.5', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: 1.5 }],
    ['port "1.5"', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: '1.5' }],
    ['port NaN', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: Number.NaN }],
    ['port "443abc"', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: '443abc' }],
    ['port boolean', 'M365FC_ERR_FLOW_BAD_PORT', { host: 'a.x.com', port: true }],
    ['protocol icmp', 'M365FC_ERR_FLOW_BAD_PROTOCOL', { host: 'a.x.com', protocol: 'icmp' }],
    ['protocol empty', 'M365FC_ERR_FLOW_BAD_PROTOCOL', { host: 'a.x.com', protocol: '' }],
    ['protocol number', 'M365FC_ERR_FLOW_BAD_PROTOCOL', { host: 'a.x.com', protocol: 6 }],
  ];

  it.each(cases)('%s → %s', (_name, code, flow) => {
    let r: ClassifyResult | undefined;
    expect(() => {
      r = c.classify(flow as Flow);
    }).not.toThrow();
    expect(r).toBeDefined();
    expect(isFlowError(r as ClassifyResult)).toBe(true);
    const err = (r as { error: { code: string; message: string } }).error;
    expect(err.code).toBe(code);
    expect(typeof err.message).toBe('string');
    expect(err.message.length).toBeGreaterThan(0);
  });

  it('accepts the boundaries: 253-character host, with or without trailing dot, ports 1 and 65535', () => {
    expect(host253.length).toBe(253);
    expect(host254.length).toBe(254);
    expect(isFlowError(c.classify({ host: host253 }))).toBe(false);
    expect(isFlowError(c.classify({ host: `${host253}.` }))).toBe(false);
    expect(isFlowError(c.classify({ host: 'a.x.com', port: 1 }))).toBe(false);
    expect(isFlowError(c.classify({ host: 'a.x.com', port: 65535 }))).toBe(false);
    expect(isFlowError(c.classify({ host: 'a.x.com', port: '65535' }))).toBe(false);
  });
});
