import { createHash } from 'node:crypto';
import type { PluginRegistry, RawOptions, RenderedFile } from '../../plugin-api/plugin.js';
import type { Snapshot } from '../core/types.js';
import { snapshotView } from './snapshot-view.js';

/**
 * One export request, prepared: the plugin, its validated options and the ETag, so that an
 * HTTP answer can be 304 without rendering. The ETag covers what the file depends on: the
 * exporter and its version, the data (version, instance, fetch time) and the options.
 */
export interface PreparedExport {
  readonly name: string;
  readonly contentType: string;
  readonly fileExtension: string | undefined;
  readonly options: Readonly<Record<string, unknown>>;
  readonly etag: string;
  /** Text, or bytes for a binary format (mmdb). */
  render(): Promise<RenderedFile>;
  /** The file of a text exporter; rejects when the exporter gave bytes. */
  renderText(): Promise<string>;
  /** What the user should know about the file (the CLI prints these to stderr). */
  warnings(): string[];
}

/** JSON with object keys sorted, so equal options give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function exportEtag(name: string, pluginVersion: string | undefined, snapshot: Snapshot, options: unknown): string {
  const digest = createHash('sha256')
    .update(canonicalJson([name, pluginVersion ?? '', snapshot.version, snapshot.instance, snapshot.fetchedAt, snapshot.origin, options]))
    .digest('base64url')
    .slice(0, 22);
  return `"${snapshot.version}-${digest}"`;
}

/** Throws the registry's coded errors: unknown exporter, bad option. */
export function prepareExport(registry: PluginRegistry, name: string, snapshot: Snapshot, raw: RawOptions = {}): PreparedExport {
  const plugin = registry.get(name);
  const options = registry.options(name, raw);
  return {
    name,
    contentType: plugin.contentType,
    fileExtension: plugin.fileExtension,
    options,
    etag: exportEtag(name, plugin.version, snapshot, options),
    render: () => registry.render(name, snapshotView(snapshot), options),
    renderText: async () => {
      const file = await registry.render(name, snapshotView(snapshot), options);
      if (typeof file !== 'string') throw new TypeError(`Exporter "${name}" renders bytes, not text`);
      return file;
    },
    warnings: () => registry.warnings(name, snapshotView(snapshot), options),
  };
}
