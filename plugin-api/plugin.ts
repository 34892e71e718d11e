/**
 * The in-process exporter plugin interface. An exporter declares its name, the plugin API range it
 * was written for, its content type and its options (JSON Schema), and renders a file from a
 * plain data view of one endpoint-set snapshot. The host checks the range when the plugin is
 * registered and refuses a mismatch with a coded error, as fastify does with its plugins.
 * The built-in exporters (pac, split-tunnel, list, csv, squid) go through this same interface.
 *
 * This file imports nothing from the classifier's src/: it is what vendors import.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import semver from 'semver';

/** The version of this plugin API (semver). A plugin declares the range it needs, e.g. `^1.0.0`. */
export const API_VERSION = '1.0.0';

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
  render(view: SnapshotView, options: O): string | Promise<string>;
}

/** Gives a plugin literal its types; does nothing at run time. */
export function defineExporter<O extends object>(plugin: ExporterPlugin<O>): ExporterPlugin<O> {
  return plugin;
}

/** The codes this module throws; they are entries of the project's error registry. */
export type PluginErrorCode =
  | 'M365FC_ERR_PLUGIN_INVALID'
  | 'M365FC_ERR_PLUGIN_API_VERSION'
  | 'M365FC_ERR_PLUGIN_DUPLICATE'
  | 'M365FC_ERR_PLUGIN_LOAD'
  | 'M365FC_ERR_EXPORT_UNKNOWN'
  | 'M365FC_ERR_EXPORT_BAD_OPTION'
  | 'M365FC_ERR_EXPORT_RENDER';

/** HTTP status of each code where it can reach a client (same values as the registry). */
export const PLUGIN_ERROR_STATUS: Readonly<Record<PluginErrorCode, number>> = {
  M365FC_ERR_PLUGIN_INVALID: 500,
  M365FC_ERR_PLUGIN_API_VERSION: 500,
  M365FC_ERR_PLUGIN_DUPLICATE: 500,
  M365FC_ERR_PLUGIN_LOAD: 500,
  M365FC_ERR_EXPORT_UNKNOWN: 404,
  M365FC_ERR_EXPORT_BAD_OPTION: 400,
  M365FC_ERR_EXPORT_RENDER: 500,
};

/** Match on `code`, never on the message. */
export class PluginError extends Error {
  readonly code: PluginErrorCode;
  readonly statusCode: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: PluginErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginError';
    this.code = code;
    this.statusCode = PLUGIN_ERROR_STATUS[code];
    this.details = details;
  }
}

export function isPluginError(err: unknown): err is PluginError {
  return err instanceof PluginError;
}

const NAME = /^[a-z][a-z0-9-]{0,39}$/;
// type/subtype[; parameters], as RFC 6838 restricts the names.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;\s*[a-z0-9_-]+=("[^"]*"|[^\s;]+))*$/i;

/** Raw options as a command line or a query string gives them. */
export type RawOptions = Readonly<Record<string, unknown>>;

/** A registered plugin with its compiled options validator. */
interface Entry {
  readonly plugin: ExporterPlugin;
  readonly validate: ValidateFunction;
  readonly arrayOptions: ReadonlySet<string>;
}

function invalid(name: unknown, message: string, field: string): PluginError {
  const who = typeof name === 'string' ? `Plugin "${name}"` : 'Plugin';
  return new PluginError('M365FC_ERR_PLUGIN_INVALID', `${who}: ${message}`, { plugin: name, field });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function schemaTypeIncludes(schema: unknown, type: string): boolean {
  if (!isObject(schema)) return false;
  const t = schema['type'];
  return t === type || (Array.isArray(t) && t.includes(type));
}

/** `service-area` → `serviceArea`: command lines use kebab case, schemas camel case. */
export function camelOption(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function describeAjvError(e: ErrorObject): string {
  const where = e.instancePath === '' ? 'options' : `option ${e.instancePath.slice(1).replace(/\//g, '.')}`;
  if (e.keyword === 'additionalProperties') return `unknown option "${String(e.params['additionalProperty'])}"`;
  if (e.keyword === 'required') return `option "${String(e.params['missingProperty'])}" is required`;
  if (e.keyword === 'enum') return `${where} must be one of ${JSON.stringify(e.params['allowedValues'])}`;
  return `${where} ${e.message ?? 'is invalid'}`;
}

/**
 * Exporter plugins by name. `register` checks the plugin's shape, its options schema and its
 * `apiVersion` range against this host's API_VERSION; a mismatch throws
 * `M365FC_ERR_PLUGIN_API_VERSION` and nothing is registered.
 */
export class PluginRegistry {
  /** The plugin API version this host implements (tests may pretend another). */
  readonly apiVersion: string;
  private readonly entries = new Map<string, Entry>();
  private readonly ajv: Ajv;

  constructor(options: { apiVersion?: string } = {}) {
    this.apiVersion = options.apiVersion ?? API_VERSION;
    // coerceTypes 'array': options arrive as strings (argv, query) and a single value may stand for a list.
    this.ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, allErrors: false, allowUnionTypes: true, strict: false });
  }

  register(candidate: unknown): ExporterPlugin {
    if (!isObject(candidate)) throw invalid(undefined, 'a plugin must be an object', 'plugin');
    const name = candidate['name'];
    if (typeof name !== 'string' || !NAME.test(name)) throw invalid(name, 'name must match [a-z][a-z0-9-]{0,39}', 'name');
    const range = candidate['apiVersion'];
    if (typeof range !== 'string' || semver.validRange(range) === null) {
      throw invalid(name, `apiVersion must be a semver range, got ${JSON.stringify(range)}`, 'apiVersion');
    }
    if (!semver.satisfies(this.apiVersion, range)) {
      throw new PluginError(
        'M365FC_ERR_PLUGIN_API_VERSION',
        `Plugin "${name}" needs plugin API ${range}; this host implements ${this.apiVersion}`,
        { plugin: name, apiVersion: range, hostApiVersion: this.apiVersion },
      );
    }
    const contentType = candidate['contentType'];
    if (typeof contentType !== 'string' || !MEDIA_TYPE.test(contentType)) throw invalid(name, 'contentType must be a media type', 'contentType');
    if (typeof candidate['render'] !== 'function') throw invalid(name, 'render must be a function', 'render');
    for (const field of ['description', 'version', 'fileExtension'] as const) {
      if (candidate[field] !== undefined && typeof candidate[field] !== 'string') throw invalid(name, `${field} must be a string`, field);
    }
    const schema = candidate['optionsSchema'];
    if (!isObject(schema) || schema['type'] !== 'object') throw invalid(name, 'optionsSchema must be a JSON Schema of type object', 'optionsSchema');
    if (candidate['examples'] !== undefined && (!Array.isArray(candidate['examples']) || !candidate['examples'].every(isObject))) {
      throw invalid(name, 'examples must be an array of option objects', 'examples');
    }
    if (this.entries.has(name)) {
      throw new PluginError('M365FC_ERR_PLUGIN_DUPLICATE', `A plugin named "${name}" is already registered`, { plugin: name });
    }
    let validate: ValidateFunction;
    try {
      validate = this.ajv.compile({ ...schema, additionalProperties: schema['additionalProperties'] ?? false });
    } catch (err) {
      throw invalid(name, `optionsSchema does not compile: ${(err as Error).message}`, 'optionsSchema');
    }
    const props = isObject(schema['properties']) ? schema['properties'] : {};
    const arrayOptions = new Set(Object.keys(props).filter((k) => schemaTypeIncludes(props[k], 'array')));
    const plugin = candidate as unknown as ExporterPlugin;
    this.entries.set(name, { plugin, validate, arrayOptions });
    return plugin;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Throws `M365FC_ERR_EXPORT_UNKNOWN` for a name nobody registered. */
  get(name: string): ExporterPlugin {
    return this.entry(name).plugin;
  }

  list(): ExporterPlugin[] {
    return [...this.entries.values()].map((e) => e.plugin);
  }

  /**
   * Validates raw options (strings from argv or a query are coerced by the schema's types; a
   * comma-separated string fills an array option; kebab-case names are read as camel case) and
   * returns them completed with the schema's defaults. Throws `M365FC_ERR_EXPORT_BAD_OPTION`.
   */
  options(name: string, raw: RawOptions = {}): Record<string, unknown> {
    const entry = this.entry(name);
    const data: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(raw)) {
      if (value === undefined) continue;
      const k = camelOption(key);
      // Assigning "__proto__" would set the prototype, dropping the option without a word.
      if (k === '__proto__') {
        throw new PluginError('M365FC_ERR_EXPORT_BAD_OPTION', `Exporter "${name}": unknown option "${k}"`, { plugin: name, option: k });
      }
      if (Object.hasOwn(data, k)) {
        throw new PluginError('M365FC_ERR_EXPORT_BAD_OPTION', `Exporter "${name}": option "${k}" is given twice`, { plugin: name, option: k });
      }
      data[k] = entry.arrayOptions.has(k) ? splitList(value) : Array.isArray(value) && value.length === 1 ? value[0] : value;
    }
    if (!entry.validate(data)) {
      const first = entry.validate.errors?.[0];
      const message = first ? describeAjvError(first) : 'invalid options';
      throw new PluginError('M365FC_ERR_EXPORT_BAD_OPTION', `Exporter "${name}": ${message}`, { plugin: name, errors: entry.validate.errors ?? [] });
    }
    return data;
  }

  /** Renders with options already returned by `options()`. A plugin that throws becomes `M365FC_ERR_EXPORT_RENDER`. */
  async render(name: string, view: SnapshotView, options: Record<string, unknown>): Promise<string> {
    const { plugin } = this.entry(name);
    let out: unknown;
    try {
      out = await plugin.render(view, options);
    } catch (err) {
      if (isPluginError(err)) throw err;
      throw new PluginError('M365FC_ERR_EXPORT_RENDER', `Exporter "${name}" failed: ${err instanceof Error ? err.message : String(err)}`, { plugin: name }, { cause: err });
    }
    if (typeof out !== 'string') {
      throw new PluginError('M365FC_ERR_EXPORT_RENDER', `Exporter "${name}" returned ${typeof out}, not a string`, { plugin: name });
    }
    return out;
  }

  /**
   * Imports a plugin module (`--plugin PATH`) and registers what it exports: a default export that
   * is a plugin or an array of plugins, or named exports `plugin` / `plugins`.
   */
  async load(path: string): Promise<ExporterPlugin[]> {
    const plugins = await importPluginModule(path);
    return plugins.map((p) => this.register(p));
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (e === undefined) {
      const known = [...this.entries.keys()].join(', ');
      throw new PluginError('M365FC_ERR_EXPORT_UNKNOWN', `No exporter named "${name}" (known: ${known})`, { plugin: name });
    }
    return e;
  }
}

function splitList(value: unknown): unknown {
  const items = Array.isArray(value) ? value : [value];
  return items.flatMap((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : [v]));
}

/** The plugins a module exports, unvalidated (the registry validates them). */
export async function importPluginModule(path: string): Promise<unknown[]> {
  const url = /^(file|data):/.test(path) ? path : pathToFileURL(isAbsolute(path) ? path : resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginError('M365FC_ERR_PLUGIN_LOAD', `Cannot load plugin module ${path}: ${err instanceof Error ? err.message : String(err)}`, { path }, { cause: err });
  }
  const found = mod['default'] ?? mod['plugins'] ?? mod['plugin'];
  const list = Array.isArray(found) ? (found as unknown[]) : found === undefined ? [] : [found];
  if (list.length === 0) {
    throw new PluginError('M365FC_ERR_PLUGIN_LOAD', `Plugin module ${path} exports no plugin (default, plugin or plugins)`, { path });
  }
  return list;
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
