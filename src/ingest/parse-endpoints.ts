import { M365Error, type ErrorCode } from '../core/errors.js';
import { CATEGORIES, INSTANCES, type Category, type EndpointSet, type Instance, type PortRange, type Snapshot } from '../core/types.js';
import { parseJsonText } from './decode-text.js';
import { parsePorts } from '../core/ports.js';
import { parsePrefix } from './parse-prefix.js';

export const UNKNOWN_VERSION = '0000000000';

export interface SnapshotMeta {
  instance?: Instance | undefined;
  version?: string | undefined;
  fetchedAt?: string | null | undefined;
  origin?: string | undefined;
}

// A host label, or a glob over labels: what Microsoft publishes in `urls`.
const URL_PATTERN = /^(?=.{1,253}$)[a-z0-9_*-]+(?:\.[a-z0-9_*-]+)*$/;
const VERSION_PATTERN = /^\d{10}$/;
/**
 * Catch-all data (issue 16): a pattern of only `*` and dots (`*`, `*.*`) or a /0 prefix in any
 * set would classify all traffic as Microsoft 365 (an Optimize set: all of it bypassing the
 * proxy). Microsoft publishes nothing of the kind, so such data is refused, as is data with no
 * sets at all, which would answer every flow `m365: false`.
 */
const CATCH_ALL_URL = /^[*.]+$/;

function fail(code: ErrorCode, setId: number | null, field: string, value: unknown, why: string): never {
  const where = setId === null ? 'An endpoint set' : `Endpoint set ${setId}`;
  throw new M365Error(code, `${where}: ${field} ${why}`, { setId, field, value });
}

function requireString(o: Record<string, unknown>, id: number, field: string): string {
  const v = o[field];
  if (typeof v !== 'string') fail('M365FC_ERR_INGEST_BAD_SET', id, field, v, 'is missing or not a string');
  return v;
}

function optionalString(o: Record<string, unknown>, id: number, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') fail('M365FC_ERR_INGEST_BAD_FIELD', id, field, v, 'is not a string');
  return v;
}

function requireBoolean(o: Record<string, unknown>, id: number, field: string): boolean {
  const v = o[field];
  if (typeof v !== 'boolean') fail('M365FC_ERR_INGEST_BAD_SET', id, field, v, 'is missing or not a boolean');
  return v;
}

function stringList(o: Record<string, unknown>, id: number, field: string): string[] {
  const v = o[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string')) {
    fail('M365FC_ERR_INGEST_BAD_FIELD', id, field, v, 'is not an array of strings');
  }
  return v;
}

function ports(o: Record<string, unknown>, id: number, field: string): PortRange[] {
  const v = o[field];
  if (v === undefined || v === null) return [];
  if (typeof v === 'number') return parsePorts(String(v), id, field);
  if (typeof v !== 'string') fail('M365FC_ERR_INGEST_BAD_PORT', id, field, v, 'is not a port list string');
  return parsePorts(v, id, field);
}

function parseSet(raw: unknown, index: number): EndpointSet {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail('M365FC_ERR_INGEST_BAD_SET', null, `[${index}]`, raw, 'is not an object');
  }
  const o = raw as Record<string, unknown>;
  const id = o['id'];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    fail('M365FC_ERR_INGEST_BAD_ID', null, `[${index}].id`, id, 'is not a positive integer');
  }
  const category = o['category'];
  if (typeof category !== 'string' || !(CATEGORIES as readonly string[]).includes(category)) {
    fail('M365FC_ERR_INGEST_BAD_CATEGORY', id, 'category', category, 'is not Optimize, Allow or Default');
  }
  const serviceArea = requireString(o, id, 'serviceArea');
  const urls: string[] = [];
  for (const u of stringList(o, id, 'urls')) {
    const url = u.trim().toLowerCase().replace(/\.$/, '');
    if (!URL_PATTERN.test(url) || url.includes('**')) fail('M365FC_ERR_INGEST_BAD_URL', id, 'urls', u, 'is not a host name or glob pattern');
    if (CATCH_ALL_URL.test(url)) fail('M365FC_ERR_INGEST_CATCH_ALL', id, 'urls', u, 'matches every host name (no literal label)');
    if (!urls.includes(url)) urls.push(url);
  }
  const ips: string[] = [];
  for (const p of stringList(o, id, 'ips')) {
    const prefix = parsePrefix(p, id);
    if (prefix.length === 0) fail('M365FC_ERR_INGEST_CATCH_ALL', id, 'ips', p, 'is a /0 prefix: it matches every address');
    const text = prefix.text;
    if (!ips.includes(text)) ips.push(text);
  }
  const notes = optionalString(o, id, 'notes');
  const set: EndpointSet = {
    id,
    serviceArea,
    serviceAreaDisplayName: optionalString(o, id, 'serviceAreaDisplayName') ?? serviceArea,
    urls,
    ips,
    tcpPorts: ports(o, id, 'tcpPorts'),
    udpPorts: ports(o, id, 'udpPorts'),
    expressRoute: requireBoolean(o, id, 'expressRoute'),
    category: category as Category,
    required: requireBoolean(o, id, 'required'),
    ...(notes !== undefined && notes !== '' ? { notes } : {}),
  };
  return set;
}

/**
 * Validates Microsoft's /endpoints response (already JSON-parsed) into normalized endpoint sets,
 * sorted by id. Lenient where Microsoft's data is loose (omitted fields, unknown fields, port
 * spacing), strict where it matters; throws an M365Error naming the set id and field.
 */
export function parseEndpointSets(data: unknown): EndpointSet[] {
  if (!Array.isArray(data)) {
    fail('M365FC_ERR_INGEST_NOT_ARRAY', null, 'response', typeof data, 'is not a JSON array of endpoint sets');
  }
  const seen = new Set<number>();
  const sets = data.map((raw, i) => {
    const set = parseSet(raw, i);
    if (seen.has(set.id)) fail('M365FC_ERR_INGEST_DUPLICATE_ID', set.id, 'id', set.id, 'appears more than once');
    seen.add(set.id);
    return set;
  });
  if (sets.length === 0) fail('M365FC_ERR_INGEST_NO_SETS', null, 'response', data, 'holds no endpoint sets');
  return sets.sort((a, b) => a.id - b.id);
}

export function checkVersion(version: string): string {
  if (!VERSION_PATTERN.test(version)) fail('M365FC_ERR_INGEST_BAD_VERSION', null, 'version', version, 'is not of the form YYYYMMDDNN');
  return version;
}

export function checkInstance(instance: string): Instance {
  if (!(INSTANCES as readonly string[]).includes(instance)) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `Unknown instance "${instance}"; expected one of ${INSTANCES.join(', ')}`, { field: 'instance', value: instance });
  }
  return instance as Instance;
}

/** A Snapshot from already-parsed endpoint sets and what is known about them. */
export function snapshotFromSets(data: unknown, meta: SnapshotMeta = {}): Snapshot {
  return {
    instance: checkInstance(meta.instance ?? 'Worldwide'),
    version: checkVersion(meta.version ?? UNKNOWN_VERSION),
    fetchedAt: meta.fetchedAt ?? null,
    origin: meta.origin ?? 'memory',
    sets: parseEndpointSets(data),
  };
}

/**
 * Microsoft's response as it really comes (UTF-8 with or without BOM, UTF-16 with BOM, CRLF)
 * → a validated Snapshot. A truncated response fails JSON parsing and never becomes data.
 */
export function parseEndpointsResponse(input: string | Uint8Array, meta: SnapshotMeta = {}): Snapshot {
  return snapshotFromSets(parseJsonText(input), meta);
}
