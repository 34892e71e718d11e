/** The exporters: built-in plugins, the registry that holds them, and export preparation. */
export { BUILTIN_EXPORTERS, createExportRegistry } from './builtins.js';
export { prepareExport, exportEtag, type PreparedExport } from './export-file.js';
export { snapshotView } from './snapshot-view.js';
export { pacExporter, renderPac, pacRules, pruneRules, pacTables, type PacOptions, type PacRule } from './pac.js';
export { splitTunnelExporter, renderSplitTunnel, tunnelBypass, type SplitTunnelOptions } from './split-tunnel.js';
export { listExporter, renderList, listEntries, type ListOptions } from './list.js';
export { csvExporter, renderCsv, parseEndpointsCsv, parseCsvRecords, CSV_COLUMNS, type CsvOptions } from './csv.js';
export { squidExporter, renderSquid, squidAcls, globToEre, type SquidOptions } from './squid.js';
