/**
 * The conformance kit for exporter plugins: `runPluginConformance(plugin)` registers the plugin
 * in a fresh host at this API_VERSION and renders a fixture snapshot (and any views you pass)
 * with each of the plugin's example options. It never throws; it returns a report:
 *
 *   const report = await runPluginConformance(myPlugin);
 *   assert.ok(report.ok, report.checks.filter((c) => !c.ok).map((c) => c.message).join('\n'));
 *
 * The project's own exporters pass it in their tests.
 */
import { API_VERSION, PluginRegistry, isPluginError, type ExporterPlugin, type SnapshotView } from './plugin.js';

export interface ConformanceCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly message?: string;
}

export interface ConformanceReport {
  readonly plugin: string;
  readonly apiVersion: string;
  readonly ok: boolean;
  readonly checks: readonly ConformanceCheck[];
}

export interface ConformanceOptions {
  /** More snapshots to render (e.g. real data), besides the kit's fixture and an empty snapshot. */
  readonly views?: readonly SnapshotView[];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** A small snapshot with every shape the real data has: exact hosts, `*.x`, `*frag.x`, inner `*`, IPv4, IPv6, UDP, notes. */
export const FIXTURE_VIEW: SnapshotView = deepFreeze({
  version: '2024010100',
  instance: 'Worldwide',
  fetchedAt: '2024-01-01T00:00:00.000Z',
  sets: [
    {
      id: 1,
      serviceArea: 'Exchange',
      serviceAreaDisplayName: 'Exchange Online',
      category: 'Optimize',
      required: true,
      expressRoute: true,
      urls: ['outlook.example.com', 'outlook.example365.com'],
      ips: ['192.0.2.0/25', '198.51.100.7/32', '2001:db8:100::/40'],
      tcpPorts: '80,443',
      udpPorts: '',
    },
    {
      id: 2,
      serviceArea: 'Skype',
      serviceAreaDisplayName: 'Skype for Business Online and Microsoft Teams',
      category: 'Allow',
      required: true,
      expressRoute: true,
      urls: ['*.teams.example.com', 'teams.example.com'],
      ips: ['203.0.113.0/24'],
      tcpPorts: '443',
      udpPorts: '3478-3481',
    },
    {
      id: 3,
      serviceArea: 'SharePoint',
      serviceAreaDisplayName: 'SharePoint Online and OneDrive for Business',
      category: 'Optimize',
      required: true,
      expressRoute: false,
      urls: ['*.sharepoint.example'],
      ips: ['192.0.2.128/25'],
      tcpPorts: '443',
      udpPorts: '',
    },
    {
      id: 4,
      serviceArea: 'Common',
      serviceAreaDisplayName: 'Microsoft 365 Common and Office Online',
      category: 'Default',
      required: false,
      expressRoute: false,
      urls: ['*-files.sharepoint.example', '*cdn.onenote.example', 'autodiscover.*.onmicrosoft.example', 'static.sharepoint.example'],
      ips: [],
      tcpPorts: '443',
      udpPorts: '',
      notes: 'Optional, "needed" for a feature, with a comma',
    },
    {
      id: 5,
      serviceArea: 'Skype',
      serviceAreaDisplayName: 'Skype for Business Online and Microsoft Teams',
      category: 'Optimize',
      required: true,
      expressRoute: true,
      urls: [],
      ips: ['198.51.100.0/24', '2001:db8:200::/48'],
      tcpPorts: '',
      udpPorts: '3478,3479,3480,3481',
    },
  ],
});

const EMPTY_VIEW: SnapshotView = deepFreeze({ version: '0000000000', instance: 'Worldwide', fetchedAt: null, sets: [] });

function sameFile(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function messageOf(err: unknown): string {
  if (isPluginError(err)) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export async function runPluginConformance(plugin: unknown, options: ConformanceOptions = {}): Promise<ConformanceReport> {
  const checks: ConformanceCheck[] = [];
  const check = async (name: string, fn: () => void | string | Promise<void | string>): Promise<boolean> => {
    try {
      const problem = await fn();
      checks.push(typeof problem === 'string' ? { name, ok: false, message: problem } : { name, ok: true });
      return typeof problem !== 'string';
    } catch (err) {
      checks.push({ name, ok: false, message: messageOf(err) });
      return false;
    }
  };
  const label = typeof plugin === 'object' && plugin !== null && typeof (plugin as { name?: unknown }).name === 'string' ? (plugin as { name: string }).name : '(unnamed)';
  const report = (): ConformanceReport => ({ plugin: label, apiVersion: API_VERSION, ok: checks.every((c) => c.ok), checks });

  const registry = new PluginRegistry();
  let registered: ExporterPlugin | undefined;
  await check(`registers at plugin API ${API_VERSION}`, () => {
    registered = registry.register(plugin);
  });
  if (registered === undefined) return report();
  const p = registered;

  const exampleSets = p.examples && p.examples.length > 0 ? p.examples : [{}];
  const prepared: Array<Record<string, unknown>> = [];
  await check('its examples are valid options', () => {
    for (const raw of exampleSets) prepared.push(registry.options(p.name, raw));
  });
  if (p.optionsSchema.additionalProperties !== true) {
    await check('refuses an unknown option with M365FC_ERR_EXPORT_BAD_OPTION', () => {
      try {
        registry.options(p.name, { ...exampleSets[0], 'no-such-option-xyz': '1' });
      } catch (err) {
        return isPluginError(err) && err.code === 'M365FC_ERR_EXPORT_BAD_OPTION' ? undefined : `threw ${messageOf(err)}`;
      }
      return 'accepted it';
    });
  }
  if (prepared.length === 0) return report();

  const views = [FIXTURE_VIEW, ...(options.views ?? [])];
  await check('renders each snapshot with each example to a string or bytes, the same every time', async () => {
    for (const [v, view] of views.entries()) {
      for (const [k, opts] of prepared.entries()) {
        const first = await registry.render(p.name, view, opts);
        const again = await registry.render(p.name, view, structuredClone(opts));
        if (!sameFile(first, again)) return `snapshot ${v}, example ${k}: two renders differ`;
      }
    }
    return undefined;
  });
  await check('renders a snapshot with no endpoint sets', async () => {
    for (const opts of prepared) await registry.render(p.name, EMPTY_VIEW, opts);
  });
  await check('leaves the snapshot view unchanged', () => {
    const before = JSON.stringify(FIXTURE_VIEW);
    return Object.isFrozen(FIXTURE_VIEW.sets[0]) && JSON.stringify(FIXTURE_VIEW) === before ? undefined : 'the fixture changed';
  });
  return report();
}
