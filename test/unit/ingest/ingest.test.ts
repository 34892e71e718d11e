/**
 * Ingest of Microsoft's /endpoints response: strict where it matters (every rejection names its
 * code, set id and field), lenient where Microsoft's data is loose (encodings, omitted fields).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  M365Error,
  createClassifier,
  isM365Error,
  parseEndpointSets,
  parseEndpointsResponse,
  parsePorts,
  readDataFile,
  serializeSnapshot,
} from '../../../src/index.js';
import type { EndpointSet, PortRange } from '../../../src/index.js';
import { canonicalPrefix } from '../../support/oracle.js';
import {
  REAL_RESPONSES,
  M365_DATA_DIR,
  readRealResponse,
  readRealResponseText,
  realResponsePath,
  type RealResponse,
} from '../../support/data.js';

function set(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 1,
    serviceArea: 'Exchange',
    serviceAreaDisplayName: 'Exchange Online',
    urls: ['outlook.office.com'],
    ips: ['13.107.6.152/31'],
    tcpPorts: '80,443',
    expressRoute: true,
    category: 'Optimize',
    required: true,
    ...overrides,
  };
}

/** Runs `fn`, which must throw an M365Error; returns it for further checks. */
function rejection(fn: () => unknown): M365Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (caught === undefined) throw new Error('expected a rejection, got none');
  if (!isM365Error(caught)) throw new Error(`expected an M365Error, got ${String(caught)}`);
  return caught;
}

function expectRejected(data: unknown, code: string, details: { setId: number | null; field: string; value?: string }): void {
  const err = rejection(() => parseEndpointSets(data));
  expect(err.code).toBe(code);
  expect(err.statusCode).toBe(422);
  expect(err.details['setId']).toBe(details.setId);
  expect(err.details['field']).toBe(details.field);
  if (details.value !== undefined) expect(String(err.details['value'])).toContain(details.value);
  if (details.setId !== null) expect(err.message).toContain(String(details.setId));
  // The same data through the text path and createClassifier is refused the same way.
  expect(rejection(() => parseEndpointsResponse(JSON.stringify(data))).code).toBe(code);
  expect(rejection(() => createClassifier(data)).code).toBe(code);
}

describe('rejections name the code, the set id and the field', () => {
  const ok = set({ id: 1 });

  it.each([
    ['10.1.2.3/8', 'M365FC_ERR_INGEST_HOST_BITS'],
    ['13.107.6.153/31', 'M365FC_ERR_INGEST_HOST_BITS'],
    ['2603:1006::1/40', 'M365FC_ERR_INGEST_HOST_BITS'],
    ['2603:1006:0:1::/48', 'M365FC_ERR_INGEST_HOST_BITS'],
    ['10.0.0.0/33', 'M365FC_ERR_INGEST_BAD_PREFIX_LENGTH'],
    ['2603:1006::/129', 'M365FC_ERR_INGEST_BAD_PREFIX_LENGTH'],
    ['10.0.0.0/-1', 'M365FC_ERR_INGEST_BAD_PREFIX_LENGTH'],
    ['10.0.0.0/x', 'M365FC_ERR_INGEST_BAD_PREFIX_LENGTH'],
    ['10.0.0.256/32', 'M365FC_ERR_INGEST_BAD_PREFIX'],
    ['10.0.0/24', 'M365FC_ERR_INGEST_BAD_PREFIX'],
    ['2603:1006::g/40', 'M365FC_ERR_INGEST_BAD_PREFIX'],
    ['2603::1006::/40', 'M365FC_ERR_INGEST_BAD_PREFIX'],
    ['outlook.office.com/24', 'M365FC_ERR_INGEST_BAD_PREFIX'],
  ])('ips %s → %s', (prefix, code) => {
    expectRejected([ok, set({ id: 42, ips: ['52.96.0.0/14', prefix] })], code, { setId: 42, field: 'ips', value: prefix });
  });

  it.each([
    ['tcpPorts', '0', '0'],
    ['tcpPorts', '65536', '65536'],
    ['tcpPorts', 'abc', 'abc'],
    ['tcpPorts', '5-3', '5-3'],
    ['tcpPorts', '80,,443', ''],
    ['tcpPorts', '80;443', '80;443'],
    ['udpPorts', '3478-65536', '3478-65536'],
    ['udpPorts', '443, 0', '0'],
    ['udpPorts', '-1', '-1'],
  ])('%s "%s" → BAD_PORT', (field, value, bad) => {
    expectRejected([ok, set({ id: 7, [field]: value })], 'M365FC_ERR_INGEST_BAD_PORT', { setId: 7, field, value: bad });
  });

  it.each(['Optimise', 'optimize', 'Blocked', ''])('category "%s" → BAD_CATEGORY', (category) => {
    expectRejected([ok, set({ id: 9, category })], 'M365FC_ERR_INGEST_BAD_CATEGORY', { setId: 9, field: 'category' });
  });

  it('missing category → BAD_CATEGORY', () => {
    const s = set({ id: 9 });
    delete s['category'];
    expectRejected([ok, s], 'M365FC_ERR_INGEST_BAD_CATEGORY', { setId: 9, field: 'category' });
  });

  it('a duplicate id names the id', () => {
    expectRejected([set({ id: 5 }), set({ id: 6 }), set({ id: 5, urls: ['other.example.com'] })], 'M365FC_ERR_INGEST_DUPLICATE_ID', {
      setId: 5,
      field: 'id',
    });
  });

  it.each([0, -1, 1.5, '1', null])('id %j → BAD_ID', (id) => {
    const err = rejection(() => parseEndpointSets([ok, set({ id })]));
    expect(err.code).toBe('M365FC_ERR_INGEST_BAD_ID');
    expect(String(err.details['field'])).toContain('id');
  });

  it('a set that is not an object → BAD_SET', () => {
    expect(rejection(() => parseEndpointSets([ok, 'x'])).code).toBe('M365FC_ERR_INGEST_BAD_SET');
    expect(rejection(() => parseEndpointSets([ok, null])).code).toBe('M365FC_ERR_INGEST_BAD_SET');
    expect(rejection(() => parseEndpointSets([ok, [ok]])).code).toBe('M365FC_ERR_INGEST_BAD_SET');
  });

  it.each(['serviceArea', 'expressRoute', 'required'])('a set without %s → BAD_SET', (field) => {
    const s = set({ id: 3 });
    delete s[field];
    expectRejected([ok, s], 'M365FC_ERR_INGEST_BAD_SET', { setId: 3, field });
  });

  it.each([
    ['urls', 'outlook.office.com'],
    ['urls', [42]],
    ['ips', '10.0.0.0/8'],
    ['notes', 42],
  ])('%s of the wrong type → BAD_FIELD', (field, value) => {
    expectRejected([ok, set({ id: 4, [field]: value })], 'M365FC_ERR_INGEST_BAD_FIELD', { setId: 4, field });
  });

  it.each(['outlook office.com', 'https://outlook.office.com', 'outlook.office.com/mail', 'a..b.com', ''])(
    'url %j → BAD_URL',
    (url) => {
      expectRejected([ok, set({ id: 8, urls: ['good.example.com', url] })], 'M365FC_ERR_INGEST_BAD_URL', { setId: 8, field: 'urls' });
    },
  );

  it.each([
    ['an object', { value: [] }],
    ['a string', 'endpoints'],
    ['null', null],
    ['a number', 42],
  ])('a response that is %s → NOT_ARRAY', (_name, data) => {
    expect(rejection(() => parseEndpointSets(data)).code).toBe('M365FC_ERR_INGEST_NOT_ARRAY');
    expect(rejection(() => parseEndpointsResponse(JSON.stringify(data))).code).toBe('M365FC_ERR_INGEST_NOT_ARRAY');
    expect(rejection(() => createClassifier(data)).code).toBe('M365FC_ERR_INGEST_NOT_ARRAY');
  });

  it('a truncated response → BAD_JSON, wherever it was cut', () => {
    const text = readRealResponseText('worldwide-commit20200531.json');
    const end = text.trimEnd().length;
    // Every cut short of the closing bracket leaves JSON that does not parse.
    for (const cut of [0, 1, 2, 100, 1000, Math.floor(end / 2), end - 2, end - 1]) {
      const err = rejection(() => parseEndpointsResponse(text.slice(0, cut)));
      expect(err.code, `cut at ${cut}`).toBe('M365FC_ERR_INGEST_BAD_JSON');
    }
  });

  it('bytes that are not UTF-8 → BAD_ENCODING', () => {
    const bytes = new Uint8Array([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d]);
    expect(rejection(() => parseEndpointsResponse(bytes)).code).toBe('M365FC_ERR_INGEST_BAD_ENCODING');
  });

  it('a version not of the form YYYYMMDDNN → BAD_VERSION', () => {
    const text = JSON.stringify([ok]);
    expect(parseEndpointsResponse(text, { version: '2020042800' }).version).toBe('2020042800');
    for (const version of ['2020', '20200428001', 'latest', '']) {
      expect(rejection(() => parseEndpointsResponse(text, { version })).code, version).toBe('M365FC_ERR_INGEST_BAD_VERSION');
    }
  });

  it('a rejection throws nothing but M365Error, and returns no partial data', () => {
    let result: EndpointSet[] | undefined;
    try {
      result = parseEndpointSets([ok, set({ id: 2, ips: ['10.0.0.1/8'] })]);
    } catch {
      // expected
    }
    expect(result).toBeUndefined();
  });
});

describe('lenient where Microsoft is loose', () => {
  const utf8Name = 'worldwide-commit20200531.json';

  it('loads all four real responses, every set and prefix, CRLF and all', () => {
    for (const name of REAL_RESPONSES) {
      const text = readRealResponseText(name);
      const raw = readRealResponse(name) as Array<Record<string, unknown>>;
      const snap = parseEndpointsResponse(text);
      expect(snap.sets.length, name).toBe(raw.length);
      for (const r of raw) {
        const s = snap.sets.find((x) => x.id === r['id']);
        expect(s, `${name} set ${String(r['id'])}`).toBeDefined();
        const ips = [...new Set(((r['ips'] as string[] | undefined) ?? []).map((p) => canonicalPrefix(p)))];
        expect([...(s as EndpointSet).ips].sort(), `${name} set ${String(r['id'])} ips`).toEqual(ips.sort());
      }
      expect(new Set(snap.sets.map((s) => s.id)).size).toBe(raw.length);
    }
    expect(readRealResponseText('worldwide-noipv6-undated-cloudips-f6739cb.json')).toContain('\r\n');
  });

  it('gives the same sets with LF line endings as with CRLF', () => {
    const text = readRealResponseText(utf8Name);
    expect(text).toContain('\r\n');
    expect(parseEndpointsResponse(text.replace(/\r\n/g, '\n')).sets).toEqual(parseEndpointsResponse(text).sets);
  });

  it('loads UTF-8 with a BOM, as text and as bytes', () => {
    const text = readRealResponseText(utf8Name);
    const expected = parseEndpointsResponse(text).sets;
    expect(parseEndpointsResponse(`\uFEFF${text}`).sets).toEqual(expected);
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from(text, 'utf8')]);
    expect(parseEndpointsResponse(bytes).sets).toEqual(expected);
    expect(parseEndpointsResponse(new Uint8Array(Buffer.from(text, 'utf8'))).sets).toEqual(expected);
  });

  it.each(REAL_RESPONSES.filter((n) => n.startsWith('worldwide-commit')))(
    "loads PowerShell's UTF-16LE with BOM original of %s",
    (name: RealResponse) => {
      const path = join(M365_DATA_DIR, 'original-utf16le', name.replace(/\.json$/, '.utf16le.json'));
      const bytes = new Uint8Array(readFileSync(path));
      expect([bytes[0], bytes[1]]).toEqual([0xff, 0xfe]);
      const fromUtf16 = parseEndpointsResponse(bytes);
      expect(fromUtf16.sets).toEqual(parseEndpointsResponse(readRealResponseText(name)).sets);
      expect(readDataFile(path).sets).toEqual(fromUtf16.sets);
    },
  );

  it('loads UTF-16BE with BOM', () => {
    const text = JSON.stringify([set()]);
    const le = Buffer.from(text, 'utf16le');
    const be = new Uint8Array(2 + le.length);
    be[0] = 0xfe;
    be[1] = 0xff;
    for (let i = 0; i < le.length; i += 2) {
      be[2 + i] = le[i + 1] ?? 0;
      be[3 + i] = le[i] ?? 0;
    }
    expect(parseEndpointsResponse(be).sets).toEqual(parseEndpointSets([set()]));
  });

  it('treats omitted urls, ips, ports and notes as empty', () => {
    const s = parseEndpointSets([
      { id: 3, serviceArea: 'Common', serviceAreaDisplayName: 'Common', expressRoute: false, category: 'Default', required: false },
    ])[0] as EndpointSet;
    expect(s.urls).toEqual([]);
    expect(s.ips).toEqual([]);
    expect(s.tcpPorts).toEqual([]);
    expect(s.udpPorts).toEqual([]);
    expect(s.notes).toBeUndefined();
    expect(s).toMatchObject({ id: 3, serviceArea: 'Common', expressRoute: false, category: 'Default', required: false });
  });

  it('ignores unknown fields', () => {
    const [a] = parseEndpointSets([set({ futureField: { nested: true }, tenantScoped: 'yes' })]);
    const [b] = parseEndpointSets([set()]);
    expect(a).toEqual(b);
    expect(Object.keys(a as object)).not.toContain('futureField');
  });

  it('accepts notes "" and keeps real notes', () => {
    const [empty] = parseEndpointSets([set({ notes: '' })]);
    expect(empty?.notes === undefined || empty.notes === '').toBe(true);
    const [real] = parseEndpointSets([set({ notes: 'Exchange Online IMAP4 migration' })]);
    expect(real?.notes).toBe('Exchange Online IMAP4 migration');
  });

  it.each<[string, PortRange[]]>([
    ['80,443', [[80, 80], [443, 443]]],
    ['443,80', [[80, 80], [443, 443]]],
    ['143, 587, 993, 995', [[143, 143], [587, 587], [993, 993], [995, 995]]],
    ['3478-3481', [[3478, 3481]]],
    ['3478,3479,3480,3481', [[3478, 3481]]],
    [' 25 ', [[25, 25]]],
    ['1,65535', [[1, 1], [65535, 65535]]],
    ['3478-3481, 443', [[443, 443], [3478, 3481]]],
  ])('ports "%s" → %j', (text, ranges) => {
    expect(parsePorts(text, 1, 'tcpPorts')).toEqual(ranges);
    const [s] = parseEndpointSets([set({ tcpPorts: text, udpPorts: text })]);
    expect(s?.tcpPorts).toEqual(ranges);
    expect(s?.udpPorts).toEqual(ranges);
  });

  it('normalizes prefixes to canonical text', () => {
    const [s] = parseEndpointSets([
      set({
        ips: [
          '2603:1006:0000:0000:0000:0000:0000:0000/40',
          '2603:10A6:0200:0000::/40',
          '2620:01ec:0004:0000:0000:0000:0000:0152/128',
          '2a01:111:f400:0:0:0:0:0/48',
          '13.107.6.152/31',
        ],
      }),
    ]);
    expect([...(s?.ips ?? [])].sort()).toEqual(
      ['2603:1006::/40', '2603:10a6:200::/40', '2620:1ec:4::152/128', '2a01:111:f400::/48', '13.107.6.152/31'].sort(),
    );
  });

  it('lower-cases url patterns', () => {
    const [s] = parseEndpointSets([set({ urls: ['Outlook.Office.COM', '*.SharePoint.com'] })]);
    expect(s?.urls).toEqual(['outlook.office.com', '*.sharepoint.com']);
  });

  it('carries meta into the snapshot, with defaults for a bare response', () => {
    const text = JSON.stringify([set()]);
    const bare = parseEndpointsResponse(text);
    expect(bare.version).toBe('0000000000');
    expect(bare.instance).toBe('Worldwide');
    const meta = parseEndpointsResponse(text, { instance: 'USGovDoD', version: '2020072800', fetchedAt: '2020-08-01T00:00:00.000Z', origin: 'test' });
    expect(meta).toMatchObject({ instance: 'USGovDoD', version: '2020072800', fetchedAt: '2020-08-01T00:00:00.000Z', origin: 'test' });
  });
});

describe('our own snapshot format', () => {
  const dir = mkdtempSync(join(tmpdir(), 'm365fc-ingest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips every real response through serializeSnapshot and readDataFile', () => {
    for (const name of REAL_RESPONSES) {
      const snap = parseEndpointsResponse(readRealResponseText(name), { version: '2020042800', origin: name });
      const path = join(dir, `${name}.snapshot.json`);
      writeFileSync(path, serializeSnapshot(snap));
      const back = readDataFile(path);
      expect(back.sets, name).toEqual(snap.sets);
      expect(back.version).toBe('2020042800');
      expect(back.instance).toBe(snap.instance);
    }
  });

  it('reads a web service response file as well', () => {
    const name = 'worldwide-commit20191124.json';
    expect(readDataFile(realResponsePath(name)).sets).toEqual(parseEndpointsResponse(readRealResponseText(name)).sets);
  });

  it('rejects a damaged snapshot with BAD_SNAPSHOT', () => {
    const snap = parseEndpointsResponse(JSON.stringify([set()]), { version: '2020042800' });
    const doc = JSON.parse(serializeSnapshot(snap)) as Record<string, unknown>;
    const { sets: _sets, ...noSets } = doc;
    const path = join(dir, 'damaged.json');
    for (const damaged of [noSets, { ...doc, formatVersion: 999 }, { ...doc, origin: 42 }]) {
      writeFileSync(path, JSON.stringify(damaged));
      expect(rejection(() => readDataFile(path)).code).toBe('M365FC_ERR_INGEST_BAD_SNAPSHOT');
    }
  });
});
