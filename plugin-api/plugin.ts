/**
 * The in-process exporter plugin interface. An exporter declares its name, the plugin API range it
 * was written for, its content type and its options (JSON Schema), and renders a file from a
 * plain data view of one endpoint-set snapshot. The host checks the range when the plugin is
 * registered and refuses a mismatch with a coded error, as fastify does with its plugins.
 * The built-in exporters (pac, split-tunnel, list, csv, squid, nftables, ipset, dnsmasq, mmdb)
 * go through this same interface.
 *
 * This file imports nothing from the classifier's src/: it is what vendors import. The host that
 * registers plugins is plugin-registry.ts, its errors plugin-errors.ts; all re-exported here.
 */
export { API_VERSION } from './api-version.js';
export { PLUGIN_ERROR_STATUS, PluginError, isPluginError, type PluginErrorCode } from './plugin-errors.js';
export { PluginRegistry, camelOption, importPluginModule, type RawOptions } from './plugin-registry.js';

export type CategoryName = 'Optimize' | 'Allow' | 'Default';

/** One endpoint set as Microsoft publishes it (port lists as Microsoft's strings, e.g. `"80,443"`). */
export interface EndpointSetView {
  readonly id: number;
  readonly serviceArea: string;
  readonly serviceAreaDisplayName: string;
  readonly category: CategoryName;
  readonly required: boolean;
  readonly expressRoute: boolean;
  /** Hosts and glob patterns, lower-case (`*` matches any run of characters, dots included). */
  readonly urls: readonly string[];
  /** Canonical CIDR prefixes, IPv4 and IPv6. */
  readonly ips: readonly string[];
  /** `"80,443"`, `"3478-3481"`; `""` when none. */
  readonly tcpPorts: string;
  readonly udpPorts: string;
  readonly notes?: string;
}

/** What a plugin renders from: one validated snapshot of the endpoint sets, frozen. */
export interface SnapshotView {
  /** Microsoft's data version, `YYYYMMDDNN` (`0000000000` when unknown). */
  readonly version: string;
  readonly instance: string;
  /** When the data was obtained from Microsoft (ISO 8601), or null. */
  readonly fetchedAt: string | null;
  readonly sets: readonly EndpointSetView[];
}

/** A JSON Schema (draft 2020-12 / OpenAPI 3.1 subset that ajv understands). */
export type JsonSchema = { readonly [keyword: string]: unknown };

/** The options schema of a plugin: an object schema. Unknown options are refused unless it says otherwise. */
export interface OptionsSchema extends JsonSchema {
  readonly type: 'object';
  readonly properties?: { readonly [name: string]: JsonSchema };
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
}

export interface ExporterPlugin<O extends object = object> {
  /** `[a-z][a-z0-9-]*`, at most 40 characters; the NAME in `m365fc export NAME` and `/v1/export/NAME`. */
  readonly name: string;
  /** The plugin API versions this plugin works with, a semver range such as `^1.0.0`. */
  readonly apiVersion: string;
  /** The media type of the rendered file, e.g. `application/x-ns-proxy-autoconfig`. */
  readonly contentType: string;
  readonly description?: string;
  /** The plugin's own version; part of the ETag, so a new plugin version is a new file. */
  readonly version?: string;
  /** Suggested file name extension, without the dot. */
  readonly fileExtension?: string;
  readonly optionsSchema: OptionsSchema;
  /** Option sets (as a user would type them) the conformance kit renders; `[{}]` when absent. */
  readonly examples?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** Renders the file. `options` are validated, coerced and completed with the schema's defaults. */
  render(view: SnapshotView, options: O): RenderedFile | Promise<RenderedFile>;
  /**
   * What a user should know about this file and these options (e.g. routes left out and why);
   * the CLI prints them to stderr. The file itself should say the same in its comments.
   */
  warnings?(view: SnapshotView, options: O): readonly string[];
}

/** What `render` gives: the file's text, or its bytes for a binary format (API 1.1). */
export type RenderedFile = string | Uint8Array;

/** Gives a plugin literal its types; does nothing at run time. */
export function defineExporter<O extends object>(plugin: ExporterPlugin<O>): ExporterPlugin<O> {
  return plugin;
}


/** Parses one of Microsoft's port strings (`"80,443"`, `"3478-3481"`) into inclusive ranges. */
export function parsePortList(text: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const dash = item.indexOf('-');
    const lo = Number(dash < 0 ? item : item.slice(0, dash));
    const hi = dash < 0 ? lo : Number(item.slice(dash + 1));
    if (Number.isInteger(lo) && Number.isInteger(hi)) out.push([lo, hi]);
  }
  return out;
}

export function portListIncludes(text: string, port: number): boolean {
  return parsePortList(text).some(([lo, hi]) => port >= lo && port <= hi);
}
