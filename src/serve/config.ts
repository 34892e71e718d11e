import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { M365Error } from '../core/errors.js';
import type { Precedence } from '../core/types.js';
import { DEFAULT_LIMITS, type ServeLimits } from './context.js';

/**
 * `m365fc serve` options. Each option has a flag, an environment variable and a config-file
 * key; a flag beats the environment, which beats the config file (`--config FILE`, JSON),
 * which beats the default. Other commands that start the service (the updater wiring) pass
 * their own OptionSpecs as `extra` and find the values in `config.extra`.
 */

export type { OptionSpec, OptionValue } from '../core/option-spec.js';
import type { OptionSpec, OptionValue } from '../core/option-spec.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  { key: 'config', flag: 'config', env: 'M365FC_CONFIG', kind: 'string', default: null, help: 'JSON file of options (keys as in this list, camelCase)' },
  { key: 'data', flag: 'data', env: 'M365FC_DATA', kind: 'string', default: null, help: 'web service response or m365fc snapshot to serve (default: the embedded bootstrap)' },
  { key: 'port', flag: 'port', env: 'M365FC_PORT', kind: 'integer', min: 0, max: 65535, default: 8365, help: 'TCP port (0: any free port)' },
  { key: 'host', flag: 'host', env: 'M365FC_HOST', kind: 'string', default: '127.0.0.1', help: 'address to bind' },
  { key: 'workers', flag: 'workers', env: 'M365FC_WORKERS', kind: 'integer', min: 1, max: 256, default: 1, help: 'processes sharing the port (node:cluster)' },
  { key: 'precedence', flag: 'precedence', env: 'M365FC_PRECEDENCE', kind: 'enum', values: ['specific-first', 'category-first'], default: 'specific-first', help: 'which matching set wins' },
  { key: 'tenant', flag: 'tenant', env: 'M365FC_TENANT', kind: 'string', default: null, help: 'tenant name for SharePoint and autodiscover patterns' },
  { key: 'plugins', flag: 'plugins', env: 'M365FC_PLUGINS', kind: 'string', default: null, help: 'exporter plugin modules for /v1/export, comma-separated paths' },
  { key: 'tokenFile', flag: 'token-file', env: 'M365FC_TOKEN_FILE', kind: 'string', default: null, help: 'bearer tokens for lookups, one per line (default: lookups are open)' },
  { key: 'adminTokenFile', flag: 'admin-token-file', env: 'M365FC_ADMIN_TOKEN_FILE', kind: 'string', default: null, help: 'bearer tokens for admin routes (default: admin routes disabled)' },
  { key: 'logLevel', flag: 'log-level', env: 'M365FC_LOG_LEVEL', kind: 'enum', values: LOG_LEVELS, default: 'info', help: 'log level (JSON logs on stdout)' },
  { key: 'hostCacheSize', flag: 'host-cache-size', env: 'M365FC_HOST_CACHE_SIZE', kind: 'integer', min: 0, max: 10_000_000, default: 50_000, help: 'host results cached per index (0: off)' },
  { key: 'bodyLimit', flag: 'body-limit', env: 'M365FC_BODY_LIMIT', kind: 'integer', min: 1024, max: 256 * 1024 * 1024, default: DEFAULT_LIMITS.bodyBytes, help: 'largest request body, bytes' },
  { key: 'messageLimit', flag: 'message-limit', env: 'M365FC_MESSAGE_LIMIT', kind: 'integer', min: 1024, max: 256 * 1024 * 1024, default: DEFAULT_LIMITS.messageBytes, help: 'largest WebSocket message, bytes' },
  { key: 'queryLimit', flag: 'query-limit', env: 'M365FC_QUERY_LIMIT', kind: 'integer', min: 64, max: 16_384, default: DEFAULT_LIMITS.queryBytes, help: 'longest request URL, bytes' },
  { key: 'streamHighWater', flag: 'stream-high-water', env: 'M365FC_STREAM_HIGH_WATER', kind: 'integer', min: 16_384, max: 1024 * 1024 * 1024, default: DEFAULT_LIMITS.streamHighWaterBytes, help: 'unsent WebSocket bytes at which the server stops reading a client' },
  { key: 'streamStallMs', flag: 'stream-stall-ms', env: 'M365FC_STREAM_STALL_MS', kind: 'integer', min: 1, max: 3_600_000, default: DEFAULT_LIMITS.streamStallMs, help: 'a paused WebSocket client that reads nothing this long is closed' },
  { key: 'maxEventLoopDelayMs', flag: 'max-event-loop-delay-ms', env: 'M365FC_MAX_EVENT_LOOP_DELAY_MS', kind: 'integer', min: 0, max: 600_000, default: 1000, help: 'answer 503 when the event loop lags more (0: off)' },
  { key: 'maxHeapBytes', flag: 'max-heap-bytes', env: 'M365FC_MAX_HEAP_BYTES', kind: 'integer', min: 0, max: Number.MAX_SAFE_INTEGER, default: 0, help: 'answer 503 above this heap use (0: off)' },
  { key: 'retryAfter', flag: 'retry-after', env: 'M365FC_RETRY_AFTER', kind: 'integer', min: 0, max: 3600, default: DEFAULT_LIMITS.retryAfterSeconds, help: 'Retry-After seconds on 503' },
  { key: 'shutdownTimeoutMs', flag: 'shutdown-timeout-ms', env: 'M365FC_SHUTDOWN_TIMEOUT_MS', kind: 'integer', min: 0, max: 600_000, default: 10_000, help: 'on SIGTERM, connections still open after this are cut' },
  { key: 'binaryPort', flag: 'binary-port', env: 'M365FC_BINARY_PORT', kind: 'integer', min: 0, max: 65535, default: null, help: 'also serve the binary protocol on this plain TCP port, on --host (0: any free port; default: off)' },
  { key: 'bodyTimeout', flag: 'body-timeout', env: 'M365FC_BODY_TIMEOUT', kind: 'integer', min: 1, max: 3600, default: DEFAULT_LIMITS.bodyTimeoutMs / 1000, help: 'seconds for a request\'s headers and body to arrive, else 408' },
  { key: 'streamIdleMs', flag: 'stream-idle-ms', env: 'M365FC_STREAM_IDLE_MS', kind: 'integer', min: 0, max: 86_400_000, default: DEFAULT_LIMITS.streamIdleMs, help: 'a WebSocket silent this long (no message, no answer to a ping) is closed (0: never)' },
  { key: 'streamMaxConnections', flag: 'stream-max-connections', env: 'M365FC_STREAM_MAX_CONNECTIONS', kind: 'integer', min: 1, max: 1_000_000, default: DEFAULT_LIMITS.streamMaxConnections, help: 'open WebSockets at most; more are refused with 503' },
  { key: 'maxDataAge', flag: 'max-data-age', env: 'M365FC_MAX_DATA_AGE', kind: 'integer', min: 0, max: 365 * 86_400, default: 0, help: '/readyz fails when the data was not confirmed current for this many seconds, or its age is unknown (0: off)' },
];

export interface ServeConfig {
  readonly configFile: string | null;
  readonly data: string | null;
  readonly port: number;
  readonly host: string;
  readonly workers: number;
  readonly precedence: Precedence;
  readonly tenant: string | null;
  /** Exporter plugin modules served by /v1/export beside the built-in exporters. */
  readonly plugins: readonly string[];
  readonly tokenFile: string | null;
  readonly adminTokenFile: string | null;
  readonly logLevel: LogLevel;
  readonly hostCacheSize: number;
  readonly limits: ServeLimits;
  readonly maxEventLoopDelayMs: number;
  readonly maxHeapBytes: number;
  readonly shutdownTimeoutMs: number;
  /** The binary protocol's TCP port (docs/binary-protocol.md), or null: off. */
  readonly binaryPort: number | null;
  /** /readyz answers 503 when the data is older than this, seconds; 0: off. */
  readonly maxDataAgeSeconds: number;
  /** Values of the `extra` specs given to resolveServeConfig, by key. */
  readonly extra: Readonly<Record<string, OptionValue>>;
}

function bad(spec: OptionSpec, origin: string, message: string, value: unknown): M365Error {
  return new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `${origin}: ${message}`, { option: spec.flag, value });
}

/** Checks and converts one raw value (text from argv or env, any JSON from the config file). */
export function convertOption(spec: OptionSpec, raw: unknown, origin: string): OptionValue {
  if (raw === null) return null;
  switch (spec.kind) {
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw bad(spec, origin, 'must be a non-empty string', raw);
      return raw;
    case 'enum':
      if (typeof raw !== 'string' || !spec.values?.includes(raw)) {
        throw bad(spec, origin, `must be one of ${(spec.values ?? []).join(', ')}`, raw);
      }
      return raw;
    case 'boolean':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw bad(spec, origin, 'must be true or false', raw);
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || (spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw bad(spec, origin, `must be an integer in ${spec.min ?? 0}-${spec.max ?? Number.MAX_SAFE_INTEGER}`, raw);
      }
      return n;
    }
  }
}

function readConfigFile(path: string, readFile: (p: string) => string): Record<string, unknown> {
  let data: unknown;
  try {
    data = JSON.parse(readFile(path));
  } catch (err) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `config file ${path}: ${(err as Error).message}`, { option: 'config', value: path });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `config file ${path}: must hold a JSON object`, { option: 'config', value: path });
  }
  return data as Record<string, unknown>;
}

export interface ResolveDeps {
  readonly readFile?: (path: string) => string;
}

/** All option values, by key, from argv, env, the config file and the defaults. */
export function resolveOptions(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  deps: ResolveDeps = {},
): Record<string, OptionValue> {
  const options: Record<string, { type: 'string' }> = {};
  for (const s of specs) options[s.flag] = { type: 'string' };
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', (err as Error).message, {});
  }
  const configSpec = specs.find((s) => s.key === 'config');
  const configPath = (values['config'] as string | undefined) ?? env['M365FC_CONFIG'] ?? null;
  const file = configPath !== null ? readConfigFile(configPath, deps.readFile ?? ((p) => readFileSync(p, 'utf8'))) : {};
  for (const key of Object.keys(file)) {
    if (!specs.some((s) => s.key === key) || key === 'config') {
      throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `config file ${configPath}: unknown option "${key}"`, { option: key });
    }
  }
  const out: Record<string, OptionValue> = {};
  for (const s of specs) {
    const flag = values[s.flag];
    const fromEnv = env[s.env];
    if (typeof flag === 'string') out[s.key] = convertOption(s, flag, `--${s.flag}`);
    else if (fromEnv !== undefined && fromEnv !== '') out[s.key] = convertOption(s, fromEnv, s.env);
    else if (Object.hasOwn(file, s.key)) out[s.key] = convertOption(s, file[s.key], `config file ${configPath} key ${s.key}`);
    else out[s.key] = s.default;
  }
  if (configSpec !== undefined) out['config'] = configPath;
  return out;
}

/** The serve configuration from argv (without the command name), the environment and the config file. */
export function resolveServeConfig(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  extra: readonly OptionSpec[] = [],
  deps: ResolveDeps = {},
): ServeConfig {
  const clash = extra.find((e) => SERVE_OPTIONS.some((s) => s.key === e.key || s.flag === e.flag || s.env === e.env));
  if (clash !== undefined) throw new Error(`option ${clash.flag} is already a serve option`);
  const v = resolveOptions([...SERVE_OPTIONS, ...extra], argv, env, deps);
  const str = (k: string): string | null => (v[k] as string | null) ?? null;
  const int = (k: string): number => v[k] as number;
  const extraValues: Record<string, OptionValue> = {};
  for (const e of extra) extraValues[e.key] = v[e.key] ?? null;
  return {
    configFile: str('config'),
    data: str('data'),
    port: int('port'),
    host: str('host') ?? '127.0.0.1',
    workers: int('workers'),
    precedence: v['precedence'] as Precedence,
    tenant: str('tenant'),
    plugins: (str('plugins') ?? '').split(',').map((p) => p.trim()).filter((p) => p !== ''),
    tokenFile: str('tokenFile'),
    adminTokenFile: str('adminTokenFile'),
    logLevel: v['logLevel'] as LogLevel,
    hostCacheSize: int('hostCacheSize'),
    limits: {
      ...DEFAULT_LIMITS,
      bodyBytes: int('bodyLimit'),
      messageBytes: int('messageLimit'),
      queryBytes: int('queryLimit'),
      streamHighWaterBytes: int('streamHighWater'),
      streamStallMs: int('streamStallMs'),
      retryAfterSeconds: int('retryAfter'),
      bodyTimeoutMs: int('bodyTimeout') * 1000,
      streamIdleMs: int('streamIdleMs'),
      streamMaxConnections: int('streamMaxConnections'),
    },
    maxEventLoopDelayMs: int('maxEventLoopDelayMs'),
    maxHeapBytes: int('maxHeapBytes'),
    shutdownTimeoutMs: int('shutdownTimeoutMs'),
    binaryPort: (v['binaryPort'] as number | null) ?? null,
    maxDataAgeSeconds: int('maxDataAge'),
    extra: extraValues,
  };
}

/** The option list for --help. */
export function optionsHelp(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => {
      const def = s.default === null ? '' : ` (default ${String(s.default)})`;
      return `  --${s.flag.padEnd(26)} ${s.env.padEnd(32)} ${s.help}${def}`;
    })
    .join('\n');
}
