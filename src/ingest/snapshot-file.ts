import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { M365Error } from '../core/errors.js';
import type { EndpointSet, Snapshot } from '../core/types.js';
import { parseJsonText } from './decode-text.js';
import { checkInstance, checkVersion, parseEndpointSets, snapshotFromSets, type SnapshotMeta } from './parse-endpoints.js';
import { formatPorts } from '../core/ports.js';

/**
 * The project's own snapshot format: one JSON object, the endpoint sets normalized (canonical
 * prefixes, merged port ranges, duplicates dropped, empty fields omitted) in Microsoft's own
 * field names, so that reading it back goes through the same validation as a live response.
 */
export const SNAPSHOT_FORMAT = 'm365fc-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 1;
/** As Date.toISOString() writes it, or RFC 3339 with an offset: what /v1/version passes on. */
const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

interface SnapshotDocument {
  format: typeof SNAPSHOT_FORMAT;
  formatVersion: number;
  instance: string;
  version: string;
  fetchedAt: string | null;
  origin: string;
  createdAt: string;
  sets: unknown[];
}

function setToWire(s: EndpointSet): Record<string, unknown> {
  return {
    id: s.id,
    serviceArea: s.serviceArea,
    serviceAreaDisplayName: s.serviceAreaDisplayName,
    ...(s.urls.length ? { urls: s.urls } : {}),
    ...(s.ips.length ? { ips: s.ips } : {}),
    ...(s.tcpPorts.length ? { tcpPorts: formatPorts(s.tcpPorts) } : {}),
    ...(s.udpPorts.length ? { udpPorts: formatPorts(s.udpPorts) } : {}),
    expressRoute: s.expressRoute,
    category: s.category,
    required: s.required,
    ...(s.notes !== undefined ? { notes: s.notes } : {}),
  };
}

/** Endpoint sets in Microsoft's wire shape (port lists as strings), as /v1/endpoints and exporters give them. */
export function setsToWire(sets: readonly EndpointSet[]): Array<Record<string, unknown>> {
  return sets.map(setToWire);
}

export function serializeSnapshot(s: Snapshot, createdAt: Date = new Date()): string {
  const doc: SnapshotDocument = {
    format: SNAPSHOT_FORMAT,
    formatVersion: SNAPSHOT_FORMAT_VERSION,
    instance: s.instance,
    version: s.version,
    fetchedAt: s.fetchedAt,
    origin: s.origin,
    createdAt: createdAt.toISOString(),
    sets: setsToWire(s.sets),
  };
  // One set per line: compact, yet a diff of two snapshots stays readable.
  const lines = doc.sets.map((x) => JSON.stringify(x));
  const { sets: _sets, ...head } = doc;
  const headText = JSON.stringify(head);
  return `${headText.slice(0, -1)},"sets":[\n${lines.join(',\n')}\n]}\n`;
}

export function isSnapshotDocument(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { format?: unknown }).format === SNAPSHOT_FORMAT;
}

export function parseSnapshotDocument(data: unknown): Snapshot {
  const d = data as Partial<SnapshotDocument>;
  if (!isSnapshotDocument(data) || d.formatVersion !== SNAPSHOT_FORMAT_VERSION || !Array.isArray(d.sets)) {
    throw new M365Error('M365FC_ERR_INGEST_BAD_SNAPSHOT', `Not an ${SNAPSHOT_FORMAT} document of format version ${SNAPSHOT_FORMAT_VERSION}`);
  }
  if (typeof d.version !== 'string' || typeof d.instance !== 'string' || typeof d.origin !== 'string') {
    throw new M365Error('M365FC_ERR_INGEST_BAD_SNAPSHOT', 'A snapshot needs string fields instance, version and origin');
  }
  if (d.fetchedAt !== null && (typeof d.fetchedAt !== 'string' || !ISO_DATE_TIME.test(d.fetchedAt) || Number.isNaN(Date.parse(d.fetchedAt)))) {
    throw new M365Error('M365FC_ERR_INGEST_BAD_SNAPSHOT', 'A snapshot fetchedAt is an ISO 8601 date-time or null', { field: 'fetchedAt', value: d.fetchedAt });
  }
  return {
    instance: checkInstance(d.instance),
    version: checkVersion(d.version),
    fetchedAt: d.fetchedAt ?? null,
    origin: d.origin,
    sets: parseEndpointSets(d.sets),
  };
}

/** Either a web service response (a JSON array) or one of our snapshots, from text or bytes. */
export function parseDataDocument(input: string | Uint8Array, meta: SnapshotMeta = {}): Snapshot {
  const data = parseJsonText(input);
  if (isSnapshotDocument(data)) return parseSnapshotDocument(data);
  return snapshotFromSets(data, meta);
}

/** Reads a `--data FILE`: a response saved from the web service, or a snapshot of our own format. */
export function readDataFile(path: string, meta: SnapshotMeta = {}): Snapshot {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'does not exist' : e.code === 'EISDIR' ? 'is a directory' : e.code === 'EACCES' ? 'is not readable' : e.message;
    throw new M365Error('M365FC_ERR_INGEST_UNREADABLE', `The data file ${path} ${why}`, { path, cause: e.code ?? 'unknown' });
  }
  return parseDataDocument(bytes, { origin: basename(path), ...meta });
}
