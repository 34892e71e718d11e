import { API_VERSION, defineExporter, type CategoryName, type SnapshotView } from '../../plugin-api/plugin.js';
import { CATEGORY_OPTION } from './filters.js';
import { prefixInterval } from '../core/prefixes.js';
import { MmdbUint, type MmdbMap } from './mmdb/data-encoder.js';
import { writeMmdb, type TreeEntry } from './mmdb/tree-writer.js';

/**
 * A MaxMind DB file (format 2.0) of every prefix, so that anything with a MaxMind reader
 * (libmaxminddb and mmdblookup, nginx's and HAProxy's geoip2 modules, the npm `maxmind` reader,
 * Go, Python, Rust) classifies addresses natively. An address's record is the engine's IP verdict
 * for a flow with no port (specific-first: the longest prefix, then Optimize > Allow > Default,
 * then the lower set id): the fields of the answer (category, serviceArea, endpointSetId,
 * expressRoute, required, matched prefix, action) and the winning set's TCP and UDP ports.
 * The metadata's description and `m365_data_version` name the data version.
 */

export interface MmdbOptions {
  readonly category: readonly CategoryName[];
}

const RANK: Readonly<Record<CategoryName, number>> = { Optimize: 0, Allow: 1, Default: 2 };
const ACTION: Readonly<Record<CategoryName, string>> = { Optimize: 'bypass', Allow: 'direct', Default: 'default' };

export const MMDB_DATABASE_TYPE = 'M365-Endpoints';

/**
 * The build time: the data's fetch time, else the date in its version (YYYYMMDDNN), else 1 (not 0:
 * libmaxminddb 1.7 calls a build_epoch of 0 invalid metadata); never the clock, so a render is reproducible.
 */
function buildEpoch(view: SnapshotView): bigint {
  const fetched = view.fetchedAt === null ? Number.NaN : Date.parse(view.fetchedAt);
  if (Number.isFinite(fetched)) return BigInt(Math.floor(fetched / 1000));
  const m = /^(\d{4})(\d{2})(\d{2})\d{2}$/.exec(view.version);
  const fromVersion = m === null ? Number.NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isFinite(fromVersion) && fromVersion > 0 ? BigInt(fromVersion / 1000) : 1n;
}

export function mmdbEntries(view: SnapshotView, options: MmdbOptions): TreeEntry[] {
  const entries: Array<TreeEntry & { rank: number; setId: number }> = [];
  for (const set of view.sets) {
    for (const ip of set.ips) {
      const p = prefixInterval(ip);
      const record: MmdbMap = {
        category: set.category,
        serviceArea: set.serviceArea,
        endpointSetId: new MmdbUint(32, set.id),
        expressRoute: set.expressRoute,
        required: set.required,
        matched: ip,
        action: ACTION[set.category],
        tcpPorts: set.tcpPorts,
        udpPorts: set.udpPorts,
      };
      entries.push({
        network: p.lo, // IPv4 at ::a.b.c.d: the 32-bit value is already the low bits
        length: p.family === 4 ? p.length + 96 : p.length,
        record: options.category.includes(set.category) ? record : null,
        rank: RANK[set.category],
        setId: set.id,
      });
    }
  }
  // Written in this order, later overwriting earlier: shortest first, then worse category, then higher id.
  return entries.sort((a, b) => a.length - b.length || b.rank - a.rank || b.setId - a.setId);
}

export function renderMmdb(view: SnapshotView, options: MmdbOptions): Uint8Array {
  return writeMmdb(mmdbEntries(view, options), {
    databaseType: MMDB_DATABASE_TYPE,
    description: `Microsoft 365 endpoints (${view.instance}), endpoint data version ${view.version}, by m365-flow-classifier`,
    buildEpoch: buildEpoch(view),
    extra: { m365_data_version: view.version, m365_instance: view.instance },
  });
}

export const mmdbExporter = defineExporter<MmdbOptions>({
  name: 'mmdb',
  apiVersion: `^${API_VERSION}`,
  contentType: 'application/vnd.maxmind.maxmind-db',
  fileExtension: 'mmdb',
  version: '1',
  description: "A MaxMind DB file: every prefix with the classifier's answer (category, service area, set id, ports) for MaxMind readers.",
  optionsSchema: {
    type: 'object',
    properties: { category: { ...CATEGORY_OPTION, description: 'Addresses whose answer is another category get no record.' } },
    additionalProperties: false,
  },
  examples: [{}, { category: 'Optimize,Allow' }],
  render: renderMmdb,
});
