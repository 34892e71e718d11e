import { SHORT_LINE } from './bad-line.js';
import type { ColumnMap } from './column-map.js';
import { delimitedParser } from './delimited-parser.js';
import { SKIP, type RecordParser } from './flow-record.js';
import { ZEEK_CONN_MAP, ZEEK_SSL_MAP } from './log-formats.js';

/**
 * Zeek's TSV writer: `#separator`, `#unset_field`, `#empty_field`, `#path` and `#fields` lines
 * set up the columns; `#types`, `#open` and `#close` say nothing a flow needs. A file may hold
 * several header blocks (logs concatenated across rotations): each `#fields` line starts anew.
 */
export interface ZeekTsvParser extends RecordParser {
  /** conn or ssl, known once `#path` or `#fields` was read. */
  kind(): 'zeek-conn' | 'zeek-ssl' | null;
}

function unescape(v: string): string {
  return v.replace(/\\x([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export function zeekTsvParser(user: ColumnMap): ZeekTsvParser {
  let sep = '\t';
  let unset = '-';
  let empty = '(empty)';
  let path: string | null = null;
  let kind: 'zeek-conn' | 'zeek-ssl' | null = null;
  let inner: RecordParser | null = null;
  const directive = (line: string): void => {
    const sp = line.indexOf(' ');
    if (line.startsWith('#separator') && sp > 0) {
      sep = unescape(line.slice(sp + 1));
      return;
    }
    const cut = line.indexOf(sep);
    if (cut < 0) return;
    const key = line.slice(1, cut);
    const value = line.slice(cut + 1);
    if (key === 'unset_field') unset = value;
    else if (key === 'empty_field') empty = value;
    else if (key === 'path') path = value;
    else if (key === 'fields') {
      const names = value.split(sep);
      kind = path === 'ssl' || (path === null && names.includes('server_name')) ? 'zeek-ssl' : 'zeek-conn';
      const map = new Map(kind === 'zeek-ssl' ? ZEEK_SSL_MAP : ZEEK_CONN_MAP);
      for (const [k, f] of user) map.set(k, f);
      inner = delimitedParser(names, sep, map, { guess: false, unset: [unset, empty] });
    }
  };
  const none = { ip: false, host: false, port: false, protocol: false, bytes: false, site: false, path: false };
  return {
    kind: () => kind,
    fields: () => (inner === null ? none : inner.fields()),
    parse(line, rec) {
      if (line.charCodeAt(0) === 35 /* # */) {
        directive(line);
        return SKIP;
      }
      // A record before any #fields line: the columns are unknown.
      if (inner === null) return SHORT_LINE;
      return inner.parse(line, rec);
    },
  };
}
