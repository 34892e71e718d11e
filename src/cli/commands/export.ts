import { writeFileSync } from 'node:fs';
import { isPluginError, type ExporterPlugin, type OptionsSchema } from '../../../plugin-api/plugin.js';
import { createExportRegistry } from '../../export/builtins.js';
import { prepareExport } from '../../export/export-file.js';
import { loadDataOption } from '../load-data.js';

const HELP = `usage: m365fc export NAME [--data FILE] [--plugin PATH]... [--out FILE] [--OPTION VALUE]...
       m365fc export --list [--plugin PATH]...

Writes the NAME export of the endpoint data to stdout or FILE. FILE is a web service response or
an m365fc snapshot; without --data the embedded bootstrap is used. --plugin loads exporter plugins
from a module. Exporter options are given as --option value (kebab or camel case); list options
take a comma-separated value or repeat. --list shows the exporters and their options.
Exit status: 0 written, 1 a coded error (printed), 2 bad usage.

examples:
  m365fc export pac --proxy "PROXY proxy.contoso.com:8080" --type 2 --tenant contoso --out m365.pac
  m365fc export split-tunnel --format wireguard
  m365fc export list --category Optimize --family ipv4,ipv6
  m365fc export nftables --out m365.nft && nft -f m365.nft
  m365fc export mmdb --out m365.mmdb && mmdblookup --file m365.mmdb --ip 13.107.6.152
`;

interface ParsedArgs {
  name: string | undefined;
  data: string | undefined;
  out: string | undefined;
  plugins: string[];
  list: boolean;
  help: boolean;
  options: Record<string, string | string[]>;
}

class UsageError extends Error {}

/** Own parser: exporter options are only known once the plugins are loaded. */
export function parseExportArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { name: undefined, data: undefined, out: undefined, plugins: [], list: false, help: false, options: {} };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      out.help = true;
      continue;
    }
    if (arg === '--list') {
      out.list = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      if (out.name !== undefined) throw new UsageError(`unexpected argument "${arg}"`);
      out.name = arg;
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    let value: string;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${key} needs a value`);
      value = next;
      i++;
    }
    if (key === '') throw new UsageError(`bad argument "${arg}"`);
    if (key === 'data') out.data = value;
    else if (key === 'out') out.out = value;
    else if (key === 'plugin') out.plugins.push(value);
    else {
      const prev = out.options[key];
      out.options[key] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
    }
  }
  return out;
}

function describeOptions(schema: OptionsSchema): string[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, s]) => {
    const enumOf = (s['enum'] ?? (s['items'] as { enum?: unknown } | undefined)?.enum) as unknown[] | undefined;
    const parts = [`    --${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`];
    if (enumOf) parts.push(enumOf.join('|'));
    if (required.has(name)) parts.push('(required)');
    if (s['default'] !== undefined) parts.push(`(default ${JSON.stringify(s['default'])})`);
    if (typeof s['description'] === 'string') parts.push(`  ${s['description']}`);
    return parts.join(' ');
  });
}

function describePlugin(p: ExporterPlugin): string {
  return [`  ${p.name}  ${p.contentType}${p.description ? `\n    ${p.description}` : ''}`, ...describeOptions(p.optionsSchema)].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  try {
    return await exportCommand(argv);
  } catch (err) {
    // Plugin errors are coded but are not M365Errors (plugin-api imports nothing from src/).
    if (!isPluginError(err)) throw err;
    process.stderr.write(`m365fc: ${err.code}: ${err.message}\n`);
    return 1;
  }
}

async function exportCommand(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseExportArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`m365fc export: ${err.message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const registry = createExportRegistry();
  for (const path of args.plugins) await registry.load(path);
  if (args.list) {
    process.stdout.write(`exporters:\n${registry.list().map(describePlugin).join('\n\n')}\n`);
    return 0;
  }
  if (args.name === undefined) {
    process.stderr.write(`m365fc export: which exporter? (${registry.list().map((p) => p.name).join(', ')})\n\n${HELP}`);
    return 2;
  }
  const prepared = prepareExport(registry, args.name, loadDataOption(args.data), args.options);
  const body = await prepared.render();
  for (const w of prepared.warnings()) process.stderr.write(`m365fc export: warning: ${w}\n`);
  if (args.out === undefined) process.stdout.write(body);
  else writeFileSync(args.out, body);
  return 0;
}
