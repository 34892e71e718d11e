import { PluginRegistry, type ExporterPlugin } from '../../plugin-api/plugin.js';
import { csvExporter } from './csv.js';
import { dnsmasqExporter } from './dnsmasq.js';
import { ipsetExporter } from './ipset.js';
import { listExporter } from './list.js';
import { mmdbExporter } from './mmdb.js';
import { nftablesExporter } from './nftables.js';
import { pacExporter } from './pac.js';
import { splitTunnelExporter } from './split-tunnel.js';
import { squidExporter } from './squid.js';

/** The exporters that ship with the package, plugins like any other. */
export const BUILTIN_EXPORTERS: readonly ExporterPlugin[] = [
  pacExporter,
  splitTunnelExporter,
  listExporter,
  csvExporter,
  squidExporter,
  nftablesExporter,
  ipsetExporter,
  dnsmasqExporter,
  mmdbExporter,
];

/** A registry holding the built-in exporters; `--plugin` modules are loaded into it on top. */
export function createExportRegistry(): PluginRegistry {
  const registry = new PluginRegistry();
  for (const p of BUILTIN_EXPORTERS) registry.register(p);
  return registry;
}
