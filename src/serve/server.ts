import type { Clock } from '../core/clock.js';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createClassifier } from '../match/create-classifier.js';
import { loadBootstrapSnapshot } from '../ingest/bootstrap.js';
import { readDataFile } from '../ingest/snapshot-file.js';
import type { PluginRegistry } from '../../plugin-api/plugin.js';
import { createExportRegistry } from '../export/builtins.js';
import { buildApp } from './app.js';
import { readTokenFile } from './auth.js';
import type { ServeConfig } from './config.js';
import { LiveIndex, type DataSource } from '../follow/live-index.js';
import type { OpenApiDocument } from './openapi.js';
import type { FastifyUnderPressureOptions } from '@fastify/under-pressure';

/** Starts the service in this process: load data, build the index, listen. */

export interface StartDeps {
  /** A LiveIndex the caller has already published to (the updater wiring); else one is built
   * from `config.data` or the embedded bootstrap. */
  readonly liveIndex?: LiveIndex;
  readonly logger?: FastifyServerOptions['logger'];
  readonly underPressure?: FastifyUnderPressureOptions | false;
  readonly openapi?: OpenApiDocument;
  readonly defaultMetrics?: boolean;
  readonly clock?: Clock;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly liveIndex: LiveIndex;
  readonly port: number;
  /** The binary protocol's TCP port (--binary-port), or null when it is off. */
  readonly binaryPort: number | null;
  /** e.g. http://127.0.0.1:8365 */
  readonly url: string;
  /** Graceful: stop accepting, finish in-flight requests, close WebSockets with a close frame;
   * connections still open after `shutdownTimeoutMs` are cut. Idempotent. */
  close(): Promise<void>;
}

/** Builds the first index from `--data` or the embedded bootstrap and publishes it. */
export function loadLiveIndex(config: ServeConfig, clock?: Clock): LiveIndex {
  const snapshot = config.data !== null ? readDataFile(config.data) : loadBootstrapSnapshot();
  const source: DataSource = config.data !== null ? 'file' : 'bootstrap';
  const classifier = createClassifier(snapshot, {
    precedence: config.precedence,
    tenantName: config.tenant ?? undefined,
  });
  const live = new LiveIndex(clock ? { clock } : {});
  live.publish(classifier, { source });
  return live;
}

function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.');
}

export async function startServer(config: ServeConfig, deps: StartDeps = {}): Promise<RunningServer> {
  const tokens = config.tokenFile !== null ? readTokenFile(config.tokenFile) : null;
  const adminTokens = config.adminTokenFile !== null ? readTokenFile(config.adminTokenFile) : null;
  const liveIndex = deps.liveIndex ?? loadLiveIndex(config, deps.clock);
  const underPressure: FastifyUnderPressureOptions | false =
    deps.underPressure ??
    (config.maxEventLoopDelayMs === 0 && config.maxHeapBytes === 0
      ? false
      : {
          ...(config.maxEventLoopDelayMs > 0 ? { maxEventLoopDelay: config.maxEventLoopDelayMs } : {}),
          ...(config.maxHeapBytes > 0 ? { maxHeapUsedBytes: config.maxHeapBytes } : {}),
        });
  let exporters: PluginRegistry | undefined;
  if (config.plugins.length > 0) {
    exporters = createExportRegistry();
    for (const path of config.plugins) await exporters.load(path);
  }
  const app = buildApp({
    liveIndex,
    ...(exporters ? { exporters } : {}),
    tokens,
    adminTokens,
    limits: config.limits,
    hostCacheSize: config.hostCacheSize,
    tenant: config.tenant,
    maxDataAgeSeconds: config.maxDataAgeSeconds,
    logger: deps.logger ?? (config.logLevel === 'silent' ? false : { level: config.logLevel }),
    underPressure,
    ...(deps.openapi ? { openapi: deps.openapi } : {}),
    ...(deps.defaultMetrics !== undefined ? { defaultMetrics: deps.defaultMetrics } : {}),
    ...(deps.clock ? { clock: deps.clock } : {}),
    binary: config.binaryPort !== null,
  });
  await app.listen({ port: config.port, host: config.host });
  const binaryPort = app.binaryTcp !== null ? await app.binaryTcp.listen(config.binaryPort ?? 0, config.host) : null;
  if (tokens === null && !isLoopback(config.host)) {
    app.log.warn({ host: config.host }, 'lookups are open to the network: no --token-file');
  }
  const meta = liveIndex.meta;
  app.log.info({ version: liveIndex.current?.version, source: meta?.source, workers: config.workers, binaryPort }, 'serving');

  const port = (app.server.address() as AddressInfo).port;
  const urlHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const timer = setTimeout(() => app.server.closeAllConnections(), config.shutdownTimeoutMs);
      timer.unref();
      try {
        await app.close();
      } finally {
        clearTimeout(timer);
      }
    })();
    return closing;
  };
  return { app, liveIndex, port, binaryPort, url: `http://${urlHost}:${port}`, close };
}
