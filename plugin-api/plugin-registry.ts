/**
 * The plugin host: registers exporter plugins (checking their shape, options schema and API
 * range), validates options, and loads plugin modules from files.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import semver from 'semver';
import { API_VERSION } from './api-version.js';
import type { ExporterPlugin, RenderedFile, SnapshotView } from './plugin.js';
import { isPluginError, PluginError } from './plugin-errors.js';

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
  async render(name: string, view: SnapshotView, options: Record<string, unknown>): Promise<RenderedFile> {
    const { plugin } = this.entry(name);
    let out: unknown;
    try {
      out = await plugin.render(view, options);
    } catch (err) {
      if (isPluginError(err)) throw err;
      throw new PluginError('M365FC_ERR_EXPORT_RENDER', `Exporter "${name}" failed: ${err instanceof Error ? err.message : String(err)}`, { plugin: name }, { cause: err });
    }
    if (typeof out !== 'string' && !(out instanceof Uint8Array)) {
      throw new PluginError('M365FC_ERR_EXPORT_RENDER', `Exporter "${name}" returned ${typeof out}, not a string or bytes`, { plugin: name });
    }
    return out;
  }

  /** The plugin's warnings for these options (none when it has no `warnings`); a throw is M365FC_ERR_EXPORT_RENDER. */
  warnings(name: string, view: SnapshotView, options: Record<string, unknown>): string[] {
    const { plugin } = this.entry(name);
    if (plugin.warnings === undefined) return [];
    try {
      return [...plugin.warnings(view, options)].map(String);
    } catch (err) {
      throw new PluginError('M365FC_ERR_EXPORT_RENDER', `Exporter "${name}" failed: ${err instanceof Error ? err.message : String(err)}`, { plugin: name }, { cause: err });
    }
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
