import { M365Error } from '../core/errors.js';

/**
 * Which column of a flow log holds which field. Appliances name their columns differently
 * (`dst_ip`, `DestinationIP`, `sni`, `sentbytes`, ...): common names are recognised, and
 * `--map COLUMN=FIELD` names the others. Several columns may map to `bytes` (sent and
 * received are often separate): they are summed.
 */

export const FIELDS = ['ip', 'port', 'protocol', 'host', 'bytes', 'site', 'path', 'src', 'sport'] as const;
/** Fields `--map` may name, plus those only a format's own column map uses (times, Zeek's uid, a status column). */
export type Field = (typeof FIELDS)[number] | 'time' | 'end' | 'uid' | 'status';

/** What each field means, for --help and the docs. */
export const FIELD_HELP: Readonly<Record<(typeof FIELDS)[number], string>> = {
  ip: 'destination address (IPv4 or IPv6)',
  port: 'destination port',
  protocol: 'tcp, udp, or an IP protocol number (6, 17); others are classified by address only',
  host: 'TLS SNI or HTTP Host',
  bytes: 'bytes of the flow (several columns are summed)',
  site: 'source site or branch',
  path: 'how the flow left: direct, proxy, vpn, ... (for "Optimize through a proxy")',
  src: 'source address (then the endpoint that is not internal is the destination)',
  sport: 'source port',
};

/** Column names recognised without --map, compared lower-case with `-`, `_`, `.` and spaces removed. */
const ALIASES: Readonly<Record<(typeof FIELDS)[number], readonly string[]>> = {
  ip: ['ip', 'dst', 'dstip', 'dstaddr', 'dstaddress', 'daddr', 'dest', 'destip', 'destaddr', 'destination', 'destinationip', 'destinationaddress', 'serverip', 'remoteip', 'remoteaddress'],
  port: ['port', 'dstport', 'dport', 'destport', 'destinationport', 'serverport', 'remoteport'],
  protocol: ['protocol', 'proto', 'ipprotocol', 'transport', 'l4protocol'],
  host: ['host', 'hostname', 'sni', 'servername', 'tlssni', 'httphost', 'fqdn', 'domain', 'urlhost', 'desthost', 'dsthost', 'destinationhost', 'destinationhostname'],
  bytes: ['bytes', 'totalbytes', 'bytestotal', 'octets', 'totaloctets', 'size'],
  site: ['site', 'sitename', 'branch', 'location', 'srcsite', 'sourcesite', 'office'],
  path: ['path', 'via', 'egress', 'route', 'breakout', 'proxy', 'tunnel'],
  src: ['src', 'srcip', 'srcaddr', 'srcaddress', 'saddr', 'sourceip', 'sourceaddr', 'sourceaddress', 'clientip'],
  sport: ['sport', 'srcport', 'sourceport', 'clientport'],
};

function squash(name: string): string {
  return name.toLowerCase().replace(/[-_. ]/g, '');
}

const ALIAS_TO_FIELD: ReadonlyMap<string, Field> = new Map(FIELDS.flatMap((f) => ALIASES[f].map((a) => [a, f] as const)));

export function isField(name: string): name is (typeof FIELDS)[number] {
  return (FIELDS as readonly string[]).includes(name);
}

/** `--map` entries, COLUMN → FIELD. Column names are matched exactly first, then case-insensitively. */
export type ColumnMap = ReadonlyMap<string, Field>;

/** Parses `--map COLUMN=FIELD` values; throws M365FC_ERR_CONFIG_BAD_OPTION naming the entry. */
export function parseColumnMap(entries: readonly string[]): ColumnMap {
  const map = new Map<string, Field>();
  for (const entry of entries) {
    const eq = entry.lastIndexOf('=');
    const column = eq > 0 ? entry.slice(0, eq) : '';
    const field = eq > 0 ? entry.slice(eq + 1).trim().toLowerCase() : '';
    if (column.length === 0 || !isField(field)) {
      throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `--map "${entry}": expected COLUMN=FIELD with FIELD one of ${FIELDS.join(', ')}`, {
        field: 'map',
        value: entry,
      });
    }
    map.set(column, field);
  }
  return map;
}

/** Where each field is read from: column indexes (CSV) or key names (JSON). `bytes` may have several. */
export interface FieldSources<K> {
  ip: K | null;
  port: K | null;
  protocol: K | null;
  host: K | null;
  bytes: K[];
  site: K | null;
  path: K | null;
  src: K | null;
  sport: K | null;
  time: K | null;
  end: K | null;
  uid: K | null;
  status: K | null;
}

export function noSources<K>(): FieldSources<K> {
  return { ip: null, port: null, protocol: null, host: null, bytes: [], site: null, path: null, src: null, sport: null, time: null, end: null, uid: null, status: null };
}

/**
 * Resolves field sources from the names a log uses (CSV header cells or JSON keys). An explicit
 * `--map` entry wins; otherwise the first column whose name is a known alias. A mapped column the
 * log does not have is simply absent (one map serves several appliances). A known format passes
 * its own map followed by the user's, and `guess` false: its columns are known, not guessed.
 */
export function resolveFields<K>(names: Iterable<readonly [name: string, key: K]>, map: ColumnMap, guess = true): FieldSources<K> {
  const out: FieldSources<K> = noSources();
  const lowerMap = new Map<string, Field>();
  for (const [column, field] of map) lowerMap.set(column.toLowerCase(), field);
  const explicit = new Set<Field>(map.values());
  const guessed: Array<readonly [Field, K]> = [];
  for (const [name, key] of names) {
    const field = map.get(name) ?? lowerMap.get(name.toLowerCase());
    if (field !== undefined) {
      assign(out, field, key);
      continue;
    }
    const alias = guess ? ALIAS_TO_FIELD.get(squash(name)) : undefined;
    if (alias !== undefined && !explicit.has(alias)) guessed.push([alias, key]);
  }
  for (const [field, key] of guessed) {
    if (field === 'bytes' ? out.bytes.length === 0 : out[field] === null) assign(out, field, key);
  }
  return out;
}

function assign<K>(out: FieldSources<K>, field: Field, key: K): void {
  if (field === 'bytes') out.bytes.push(key);
  else if (out[field] === null) out[field] = key;
}
