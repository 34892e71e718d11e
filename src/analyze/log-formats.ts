import type { ColumnMap, Field } from './column-map.js';
import { detectDelimiter, splitCsvLine } from './csv-line.js';
import { delimitedParser, GENERIC } from './delimited-parser.js';
import { SKIP, type RecordParser } from './flow-record.js';
import { jsonlParser } from './jsonl-parser.js';

/**
 * The flow-log formats `analyze` knows, how each is told from its first line, and which column
 * is which field in each (from each format's published field list).
 */

export const FORMATS = ['zeek-conn', 'zeek-ssl', 'aws-vpc', 'nfdump', 'panos-traffic', 'azure-nsg', 'csv', 'jsonl'] as const;
export type KnownFormat = (typeof FORMATS)[number];
export type LogFormat = 'auto' | KnownFormat;

/** Formats that write one record per direction: their replies are joined to the request. */
export const PER_DIRECTION: ReadonlySet<KnownFormat> = new Set(['aws-vpc', 'nfdump']);

const m = (entries: Record<string, Field>): ColumnMap => new Map(Object.entries(entries));

/** Zeek conn.log and ssl.log (Conn::Info, SSL::Info): the same names in TSV and JSON. */
export const ZEEK_CONN_MAP = m({ uid: 'uid', 'id.orig_h': 'src', 'id.orig_p': 'sport', 'id.resp_h': 'ip', 'id.resp_p': 'port', proto: 'protocol', orig_bytes: 'bytes', resp_bytes: 'bytes' });
export const ZEEK_SSL_MAP = m({ uid: 'uid', 'id.orig_h': 'src', 'id.orig_p': 'sport', 'id.resp_h': 'ip', 'id.resp_p': 'port', server_name: 'host' });

/** AWS VPC Flow Logs: the version 2 default format, in the order AWS writes it without a header. */
export const AWS_DEFAULT_FIELDS = ['version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status'];
const AWS_MAP = m({ srcaddr: 'src', dstaddr: 'ip', srcport: 'sport', dstport: 'port', protocol: 'protocol', bytes: 'bytes', start: 'time', end: 'end', 'log-status': 'status' });

/** nfdump -o csv: ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,... */
const NFDUMP_MAP = m({ sa: 'src', da: 'ip', sp: 'sport', dp: 'port', pr: 'protocol', ibyt: 'bytes', obyt: 'bytes', ts: 'time', te: 'end' });

/** PAN-OS traffic log, syslog order (PAN-OS syslog field descriptions); 0 is FUTURE_USE (a syslog header may precede it). */
export const PANOS_SYSLOG_FIELDS = [
  'FUTURE_USE', 'Receive Time', 'Serial Number', 'Type', 'Threat/Content Type', 'FUTURE_USE', 'Generated Time', 'Source Address',
  'Destination Address', 'NAT Source IP', 'NAT Destination IP', 'Rule Name', 'Source User', 'Destination User', 'Application',
  'Virtual System', 'Source Zone', 'Destination Zone', 'Inbound Interface', 'Outbound Interface', 'Log Action', 'FUTURE_USE',
  'Session ID', 'Repeat Count', 'Source Port', 'Destination Port', 'NAT Source Port', 'NAT Destination Port', 'Flags', 'Protocol',
  'Action', 'Bytes', 'Bytes Sent', 'Bytes Received', 'Packets', 'Start Time', 'Elapsed Time', 'Category',
];
/** Both the syslog names and the web UI export's (`Source address`, `IP Protocol`); matched without case. */
const PANOS_MAP = m({
  'source address': 'src',
  'destination address': 'ip',
  'source port': 'sport',
  'destination port': 'port',
  protocol: 'protocol',
  'ip protocol': 'protocol',
  bytes: 'bytes',
  type: 'status',
  'destination hostname': 'host',
});
const PANOS_OTHER_TYPES = new Set(['THREAT', 'SYSTEM', 'CONFIG', 'HIPMATCH', 'USERID', 'GLOBALPROTECT', 'AUTHENTICATION', 'DECRYPTION', 'CORRELATION', 'TUNNEL', 'GTP', 'SCTP', 'IPTAG']);

/** The user's --map after the format's own: a user entry for the same column wins. */
function withUser(format: ColumnMap, user: ColumnMap): ColumnMap {
  const out = new Map(format);
  for (const [k, v] of user) out.set(k, v);
  return out;
}

const PANOS_TYPES = /^(?:TRAFFIC|THREAT|SYSTEM|CONFIG|HIPMATCH|USERID|GLOBALPROTECT|DECRYPTION|AUTHENTICATION)$/;

/** The format of a log from its first line that is not blank (`zeek-tsv`: conn or ssl is told by its #path or #fields line). */
export function detectFormat(line: string): KnownFormat | 'zeek-tsv' {
  const t = line.trimStart();
  if (t.startsWith('#separator') || t.startsWith('#fields') || t.startsWith('#path')) return 'zeek-tsv';
  if (t.startsWith('{') || t.startsWith('[')) {
    // A pretty-printed Azure document starts with a lone brace; JSON lines never do.
    if (t.includes('"records"') || t.trim() === '{' || t.startsWith('[')) return 'azure-nsg';
    if (t.includes('"id.orig_h"') || t.includes('"id.resp_h"')) return t.includes('"server_name"') || t.includes('"cipher"') || t.includes('"ssl_history"') ? 'zeek-ssl' : 'zeek-conn';
    return 'jsonl';
  }
  if (/^ts,te,td,sa,da,/.test(t)) return 'nfdump';
  if (!t.includes(',')) {
    const words = t.split(' ');
    if (words.includes('srcaddr') && words.includes('dstaddr')) return 'aws-vpc';
    if (words.length >= 14 && words[0] === '2' && /^(?:eni-|-$)/.test(words[2] ?? '')) return 'aws-vpc';
  }
  const cells = splitCsvLine(t, ',') ?? [];
  const lower = cells.map((c) => c.trim().toLowerCase());
  if (lower.includes('receive time') && lower.includes('destination address')) return 'panos-traffic';
  if (cells.length > 30 && PANOS_TYPES.test(cells[3] ?? '')) return 'panos-traffic';
  return 'csv';
}

export interface LineParser {
  readonly parser: RecordParser;
  /** True when `line` (the first) was a header, not a record. */
  readonly header: boolean;
}

/** The parser for a line format, given its first line. Zeek TSV and Azure documents have readers of their own. */
export function lineParser(format: Exclude<KnownFormat, 'azure-nsg'>, first: string, user: ColumnMap): LineParser {
  switch (format) {
    case 'jsonl':
      return { parser: jsonlParser(user), header: false };
    case 'zeek-conn':
      return { parser: jsonlParser(withUser(ZEEK_CONN_MAP, user), false), header: false };
    case 'zeek-ssl':
      return { parser: jsonlParser(withUser(ZEEK_SSL_MAP, user), false), header: false };
    case 'aws-vpc': {
      const header = /(?:^|\s)srcaddr(?:\s|$)/.test(first) || /(?:^|\s)dstaddr(?:\s|$)/.test(first);
      const names = header ? first.trim().split(/\s+/) : AWS_DEFAULT_FIELDS;
      const skipStatus = (s: string): boolean => s === 'NODATA' || s === 'SKIPDATA';
      return { parser: delimitedParser(names, ' ', withUser(AWS_MAP, user), { guess: false, unset: ['-'], skipStatus, keepStatus: 'OK', lazyDest: true }), header };
    }
    case 'nfdump': {
      const inner = delimitedParser(first.split(','), ',', withUser(NFDUMP_MAP, user), { guess: false, unset: [], lazyDest: true });
      let trailer = false;
      return {
        header: true,
        parser: {
          fields: () => inner.fields(),
          // nfdump ends its CSV with "Summary", a header and one line of totals: not flows.
          parse(line, rec) {
            if (trailer) return SKIP;
            if (line.startsWith('Summary')) {
              trailer = true;
              return SKIP;
            }
            return inner.parse(line, rec);
          },
        },
      };
    }
    case 'panos-traffic': {
      const cells = splitCsvLine(first, ',') ?? [];
      const header = cells.some((c) => c.trim().toLowerCase() === 'destination address');
      const names = header ? cells : PANOS_SYSLOG_FIELDS;
      const skipStatus = (s: string): boolean => PANOS_OTHER_TYPES.has(s.toUpperCase());
      return { parser: delimitedParser(names, ',', withUser(PANOS_MAP, user), { guess: false, unset: [], skipStatus, keepStatus: 'TRAFFIC' }), header };
    }
    case 'csv': {
      const delim = detectDelimiter(first);
      return { parser: delimitedParser(splitCsvLine(first, delim) ?? first.split(delim), delim, user, GENERIC), header: true };
    }
  }
}
