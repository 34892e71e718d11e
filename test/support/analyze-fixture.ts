/**
 * A flow log with known contents for analyze's tests: seven endpoint sets of our own (so the
 * expected figures do not move with Microsoft's data), nine kinds of flows repeated a known
 * number of times, and one bad line of each kind. Every figure in EXPECTED is worked out by hand
 * in the comments next to the kinds.
 */
import type { Flow } from '../../src/core/types.js';

export const FIXTURE_SETS = [
  { id: 1, serviceArea: 'Exchange', serviceAreaDisplayName: 'Exchange Online', urls: ['outlook.office.com', 'outlook.office365.com'], ips: ['40.96.0.0/13', '2603:1006::/40'], tcpPorts: '80,443', udpPorts: '443', expressRoute: true, category: 'Optimize', required: true },
  { id: 2, serviceArea: 'SharePoint', serviceAreaDisplayName: 'SharePoint Online and OneDrive for Business', urls: ['*.sharepoint.com'], ips: ['13.107.136.0/22'], tcpPorts: '80,443', expressRoute: true, category: 'Optimize', required: true },
  { id: 3, serviceArea: 'Skype', serviceAreaDisplayName: 'Microsoft Teams', ips: ['52.112.0.0/14'], udpPorts: '3478-3481', expressRoute: true, category: 'Optimize', required: true },
  { id: 4, serviceArea: 'Common', serviceAreaDisplayName: 'Microsoft 365 Common and Office Online', urls: ['login.microsoftonline.com'], ips: ['20.190.128.0/18'], tcpPorts: '443', expressRoute: true, category: 'Allow', required: true },
  { id: 5, serviceArea: 'Common', serviceAreaDisplayName: 'Microsoft 365 Common and Office Online', urls: ['*.msocdn.com'], tcpPorts: '443', expressRoute: false, category: 'Default', required: false },
  { id: 6, serviceArea: 'Exchange', serviceAreaDisplayName: 'Exchange Online', urls: ['*.protection.outlook.com'], ips: ['40.92.0.0/15'], tcpPorts: '25', expressRoute: false, category: 'Allow', required: true },
  { id: 7, serviceArea: 'Common', serviceAreaDisplayName: 'Microsoft 365 Common and Office Online', urls: ['*.officeapps.live.com'], tcpPorts: '443', expressRoute: false, category: 'Default', required: true },
];

export interface FixtureFlow extends Flow {
  site: string;
  bytes: number;
  via: string;
}

/** [kind, how many, the flow]. */
export const KINDS: ReadonlyArray<readonly [string, number, FixtureFlow]> = [
  // Optimize, set 1, exact host (host+ip): 10 flows, 10,000 bytes, through the proxy
  ['A', 10, { site: 'hq', ip: '40.96.1.1', port: 443, protocol: 'tcp', host: 'outlook.office.com', bytes: 1000, via: 'proxy' }],
  // Optimize, set 2, by prefix 13.107.136.0/22: 6 flows, 3,000 bytes, direct
  ['B', 6, { site: 'hq', ip: '13.107.136.5', port: 443, protocol: 'tcp', bytes: 500, via: 'direct' }],
  // Optimize, set 3, by prefix 52.112.0.0/14 (Teams media): 4 flows, 8,000 bytes, over the VPN
  ['C', 4, { site: 'branch-1', ip: '52.112.3.4', port: 3479, protocol: 'udp', bytes: 2000, via: 'vpn' }],
  // Allow, set 4, exact host, no address: 5 flows, 1,500 bytes, through the proxy
  ['D', 5, { site: 'branch-1', port: 443, protocol: 'tcp', host: 'login.microsoftonline.com', bytes: 300, via: 'proxy' }],
  // Optimize, set 2, wildcard *.sharepoint.com; spelled two ways: 3 flows, 2,100 bytes, direct (written as DIRECT)
  ['E', 3, { site: 'branch-1', ip: '198.51.100.20', port: 443, protocol: 'tcp', host: 'Contoso.SharePoint.com', bytes: 700, via: 'DIRECT' }],
  // Default, set 5, wildcard *.msocdn.com: 3 flows, 300 bytes
  ['F', 3, { site: 'branch-1', port: 443, protocol: 'tcp', host: 'cdn.msocdn.com', bytes: 100, via: 'direct' }],
  // not Microsoft 365, by host: 7 flows, 49,000 bytes
  ['G', 7, { site: 'hq', ip: '93.184.216.34', port: 443, protocol: 'tcp', host: 'www.example.com', bytes: 7000, via: 'proxy' }],
  // not Microsoft 365, by address: 2 flows, 100 bytes
  ['H', 2, { site: 'hq', ip: '198.51.100.7', port: 53, protocol: 'udp', bytes: 50, via: 'proxy' }],
  // ICMP to an Exchange address, no site, no path: classified by address alone: Optimize, set 1, 40.96.0.0/13
  ['I', 1, { site: '', ip: '40.96.2.2', port: 0, protocol: 'icmp', bytes: 64, via: '' }],
];

export const CSV_HEADER = 'site,dst_ip,dst_port,proto,sni,bytes,via';

/** Bad lines as CSV, each with the reason it must be counted under. */
export const BAD_CSV_LINES: ReadonlyArray<readonly [line: string, reason: string]> = [
  ['hq,999.1.1.1,443,tcp,,5,proxy', 'M365FC_ERR_FLOW_BAD_IP'],
  ['hq,40.96.1.1,70000,tcp,,5,proxy', 'M365FC_ERR_FLOW_BAD_PORT'],
  ['hq,40.96.1.1,443,tcp,,lots,proxy', 'M365FC_ERR_ANALYZE_BAD_BYTES'],
  ['hq,40.96.1.1', 'M365FC_ERR_ANALYZE_SHORT_LINE'],
  ['hq,40.96.1.1,443,tcp,outlook.office.com:443,5,proxy', 'M365FC_ERR_FLOW_HOST_HAS_PORT'],
  ['"hq,40.96.1.1,443,tcp,,5,proxy', 'M365FC_ERR_ANALYZE_BAD_CSV'],
  ['hq,,443,tcp,,5,proxy', 'M365FC_ERR_FLOW_NO_TARGET'],
];

/** The same bad lines as JSON lines (the CSV quoting and short-line cases become bad JSON). */
export const BAD_JSON_LINES: ReadonlyArray<readonly [line: string, reason: string]> = [
  ['{"site":"hq","dst_ip":"999.1.1.1","dst_port":443,"proto":"tcp","bytes":5}', 'M365FC_ERR_FLOW_BAD_IP'],
  ['{"site":"hq","dst_ip":"40.96.1.1","dst_port":70000,"proto":"tcp","bytes":5}', 'M365FC_ERR_FLOW_BAD_PORT'],
  ['{"site":"hq","dst_ip":"40.96.1.1","dst_port":443,"proto":"tcp","bytes":"lots"}', 'M365FC_ERR_ANALYZE_BAD_BYTES'],
  ['{"site":"hq","dst_ip":"40.96.1.1"', 'M365FC_ERR_ANALYZE_BAD_JSON'],
  ['{"site":"hq","dst_ip":"40.96.1.1","dst_port":443,"sni":"outlook.office.com:443","bytes":5}', 'M365FC_ERR_FLOW_HOST_HAS_PORT'],
  ['["hq","40.96.1.1"]', 'M365FC_ERR_ANALYZE_BAD_JSON'],
  ['{"site":"hq","dst_port":443,"bytes":5}', 'M365FC_ERR_FLOW_NO_TARGET'],
];

function csvLine(f: FixtureFlow, variant: number): string {
  // Kind E alternates two spellings of one host: the report must merge them.
  const host = f.host === 'Contoso.SharePoint.com' && variant === 2 ? 'contoso.sharepoint.com' : (f.host ?? '');
  return [f.site, f.ip ?? '', String(f.port ?? ''), f.protocol ?? '', host, String(f.bytes), f.via].join(',');
}

function jsonLine(f: FixtureFlow, variant: number): string {
  const host = f.host === 'Contoso.SharePoint.com' && variant === 2 ? 'contoso.sharepoint.com' : f.host;
  return JSON.stringify({
    site: f.site,
    ...(f.ip !== undefined ? { dst_ip: f.ip } : {}),
    dst_port: f.port,
    proto: f.protocol,
    ...(host !== undefined ? { sni: host } : {}),
    bytes: f.bytes,
    via: f.via,
  });
}

/** The good records, kind by kind, interleaved round-robin so no kind sits in one block. */
export function goodLines(format: 'csv' | 'jsonl'): string[] {
  const queues = KINDS.map(([, n, f]) => Array.from({ length: n }, (_, i) => (format === 'csv' ? csvLine(f, i) : jsonLine(f, i))));
  const out: string[] = [];
  while (queues.some((q) => q.length > 0)) for (const q of queues) if (q.length > 0) out.push(q.shift()!);
  return out;
}

/**
 * The whole log: header (CSV), good lines with the bad ones spread through them, one blank line.
 * Returns the text and, for each bad line, its 1-based line number.
 */
export function fixtureLog(format: 'csv' | 'jsonl'): { text: string; badAt: Array<{ line: number; reason: string }> } {
  const good = goodLines(format);
  const bad = format === 'csv' ? BAD_CSV_LINES : BAD_JSON_LINES;
  const lines: string[] = format === 'csv' ? [CSV_HEADER] : [];
  const badAt: Array<{ line: number; reason: string }> = [];
  good.forEach((l, i) => {
    lines.push(l);
    if (i % 6 === 5 && badAt.length < bad.length) {
      const [text, reason] = bad[badAt.length]!;
      lines.push(text);
      badAt.push({ line: lines.length, reason });
    }
    if (i === 20) lines.push('');
  });
  while (badAt.length < bad.length) {
    const [text, reason] = bad[badAt.length]!;
    lines.push(text);
    badAt.push({ line: lines.length, reason });
  }
  return { text: `${lines.join('\n')}\n`, badAt };
}

/** What analyze must find in fixtureLog, by hand from KINDS. */
export const EXPECTED = {
  records: 41,
  badLines: 7,
  byCategory: {
    Optimize: { flows: 10 + 6 + 4 + 3 + 1, bytes: 10_000 + 3_000 + 8_000 + 2_100 + 64 },
    Allow: { flows: 5, bytes: 1_500 },
    Default: { flows: 3, bytes: 300 },
    none: { flows: 9, bytes: 49_100 },
  },
  totalBytes: 74_064,
  byServiceArea: [
    ['Exchange', 11, 10_064],
    ['Skype', 4, 8_000],
    ['SharePoint', 9, 5_100],
    ['Common', 8, 1_800],
  ],
  sites: [
    // site, flows, bytes, Optimize, Allow, Default, none (flows/bytes)
    ['hq', 25, 62_100, [16, 13_000], [0, 0], [0, 0], [9, 49_100]],
    ['branch-1', 15, 11_900, [7, 10_100], [5, 1_500], [3, 300], [0, 0]],
    ['', 1, 64, [1, 64], [0, 0], [0, 0], [0, 0]],
  ],
  localBreakout: { flows: 29, bytes: 24_664 },
  optimizePath: {
    viaProxy: { flows: 14, bytes: 18_000 },
    direct: { flows: 9, bytes: 5_100 },
    unknown: { flows: 1, bytes: 64 },
    byPath: [
      { path: 'proxy', direct: false, flows: 10, bytes: 10_000 },
      { path: 'vpn', direct: false, flows: 4, bytes: 8_000 },
      { path: 'direct', direct: true, flows: 9, bytes: 5_100 },
    ],
  },
  topHosts: [
    { host: 'outlook.office.com', category: 'Optimize', serviceArea: 'Exchange', endpointSetId: 1, matched: 'outlook.office.com', flows: 10, bytes: 10_000, error: 0 },
    { host: 'contoso.sharepoint.com', category: 'Optimize', serviceArea: 'SharePoint', endpointSetId: 2, matched: '*.sharepoint.com', flows: 3, bytes: 2_100, error: 0 },
    { host: 'login.microsoftonline.com', category: 'Allow', serviceArea: 'Common', endpointSetId: 4, matched: 'login.microsoftonline.com', flows: 5, bytes: 1_500, error: 0 },
    { host: 'cdn.msocdn.com', category: 'Default', serviceArea: 'Common', endpointSetId: 5, matched: '*.msocdn.com', flows: 3, bytes: 300, error: 0 },
  ],
  topPrefixes: [
    { prefix: '52.112.0.0/14', category: 'Optimize', serviceArea: 'Skype', endpointSetId: 3, flows: 4, bytes: 8_000 },
    { prefix: '13.107.136.0/22', category: 'Optimize', serviceArea: 'SharePoint', endpointSetId: 2, flows: 6, bytes: 3_000 },
    { prefix: '40.96.0.0/13', category: 'Optimize', serviceArea: 'Exchange', endpointSetId: 1, flows: 1, bytes: 64 },
  ],
  topOther: [
    { destination: 'www.example.com', kind: 'host', flows: 7, bytes: 49_000, error: 0 },
    { destination: '198.51.100.7', kind: 'ip', flows: 2, bytes: 100, error: 0 },
  ],
  setsSeen: [
    [1, 11, 10_064],
    [2, 9, 5_100],
    [3, 4, 8_000],
    [4, 5, 1_500],
    [5, 3, 300],
  ],
  requiredNotSeen: [6, 7],
} as const;
