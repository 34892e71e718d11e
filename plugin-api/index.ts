/**
 * m365-flow-classifier/plugin-api: what vendors import. The wire types (generated from
 * openapi.yaml), the exporter plugin interface and API_VERSION, the typed client, and the
 * plugin conformance kit. Nothing here imports the classifier's src/.
 */
export type * from './types.js';
export { ERROR_CODES } from './types.js';
export {
  API_VERSION,
  PluginRegistry,
  PluginError,
  PLUGIN_ERROR_STATUS,
  isPluginError,
  defineExporter,
  importPluginModule,
  camelOption,
  parsePortList,
  portListIncludes,
  type CategoryName,
  type EndpointSetView,
  type ExporterPlugin,
  type JsonSchema,
  type OptionsSchema,
  type PluginErrorCode,
  type RawOptions,
  type SnapshotView,
} from './plugin.js';
export { runPluginConformance, FIXTURE_VIEW, type ConformanceCheck, type ConformanceOptions, type ConformanceReport } from './plugin-conformance.js';
export {
  M365fcClient,
  CLIENT_ONLY_ERROR_CODES,
  M365fcClientError,
  ClassifierStream,
  isM365fcClientError,
  type ClientOptions,
  type ClientErrorCode,
  type ClientOnlyErrorCode,
  type ExportOptionValue,
  type ExportResult,
  type ReconnectOptions,
  type Scheduler,
  type StreamEventName,
  type StreamEvents,
  type StreamOptions,
} from './client.js';
export * from './conformance/index.js';
