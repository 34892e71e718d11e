/** The exporters: built-in plugins, the registry that holds them, and export preparation. */
export { BUILTIN_EXPORTERS, createExportRegistry } from './builtins.js';
export { prepareExport, exportEtag, type PreparedExport } from './export-file.js';
export { snapshotView } from './snapshot-view.js';
export { pacExporter, renderPac, pacRules, pruneRules, pacTables, type PacOptions, type PacRule } from './pac.js';
export { splitTunnelExporter, renderSplitTunnel, tunnelBypass, type SplitTunnelOptions } from './split-tunnel.js';
export { listExporter, renderList, listEntries, type ListOptions } from './list.js';
export { csvExporter, renderCsv, parseEndpointsCsv, parseCsvRecords, CSV_COLUMNS, type CsvOptions } from './csv.js';
export { squidExporter, renderSquid, squidAcls, globToEre, type SquidOptions } from './squid.js';
export { nftablesExporter, renderNftables, nftSetName, type NftablesOptions } from './nftables.js';
export { ipsetExporter, renderIpset, ipsetName, type IpsetOptions } from './ipset.js';
export { dnsmasqExporter, renderDnsmasq, dnsmasqPlan, type DnsmasqOptions } from './dnsmasq.js';
export { mmdbExporter, renderMmdb, MMDB_DATABASE_TYPE, type MmdbOptions } from './mmdb.js';
export { verdictSets, portSegments, type VerdictSets, type PortSegment } from './verdict-sets.js';
