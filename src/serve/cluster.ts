import cluster, { type Worker } from 'node:cluster';
import { aggregateForWorkers } from './cluster-metrics.js';
import type { ServeConfig } from './config.js';
import type { RunningServer } from './server.js';

/**
 * Process life: `--workers N` forks N workers that share the port (node:cluster hands
 * connections out round-robin); SIGTERM or SIGINT drains gracefully.
 */

const READY = 'm365fc:ready';
/** A worker that dies after it was ready is replaced after this delay, ms. */
const RESPAWN_DELAY_MS = 1000;

/** One JSON log line in pino's shape, for the primary, which has no fastify logger. */
function log(level: number, msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, role: 'primary', ...fields, msg })}\n`);
}

/** Where signals come from: the process, or an EventEmitter in tests. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown;
}

/** Serves until SIGTERM or SIGINT, then closes gracefully; a second signal exits at once. */
export function runUntilSignal(server: RunningServer, signals: SignalSource = process): Promise<number> {
  if (cluster.isWorker) process.send?.({ type: READY, port: server.port });
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.exit(1);
      }
      stopping = true;
      server.app.log.info({ signal }, 'shutting down');
      server.close().then(
        () => {
          signals.off('SIGTERM', onSignal);
          signals.off('SIGINT', onSignal);
          // A worker's IPC channel would keep it alive after its server closed.
          if (cluster.isWorker) cluster.worker?.disconnect();
          resolve(0);
        },
        (err: unknown) => {
          server.app.log.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    signals.on('SIGTERM', onSignal);
    signals.on('SIGINT', onSignal);
  });
}

/**
 * The primary of `--workers N`: forks the workers (each runs this same command and finds
 * itself a worker), forwards SIGTERM/SIGINT to them and waits until all have exited.
 * A worker that fails before it is ready stops the whole service (bad data, port in use);
 * one that dies later is replaced.
 */
export function runPrimary(config: ServeConfig): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let exitCode = 0;
    const ready = new Set<number>();
    const live = new Set<Worker>();

    const fork = (): void => {
      const w = cluster.fork();
      live.add(w);
      w.on('message', (m: unknown) => {
        if (typeof m === 'object' && m !== null && (m as { type?: unknown }).type === READY) {
          ready.add(w.id);
          if (ready.size === config.workers) log(30, 'all workers ready', { workers: config.workers, port: (m as { port?: unknown }).port });
        }
      });
      w.on('exit', (code, signal) => {
        live.delete(w);
        const wasReady = ready.delete(w.id);
        if (!stopping) {
          if (!wasReady) {
            log(50, 'worker failed to start; stopping', { worker: w.id, code, signal });
            exitCode = 1;
            stop('SIGTERM');
          } else {
            log(50, 'worker died; replacing it', { worker: w.id, code, signal });
            setTimeout(() => {
              if (!stopping) fork();
            }, RESPAWN_DELAY_MS);
          }
        }
        if (stopping && live.size === 0) {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          resolve(exitCode);
        }
      });
    };

    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      log(30, 'shutting down workers', { signal });
      for (const w of live) w.process.kill('SIGTERM');
      if (live.size === 0) resolve(exitCode);
    };

    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    aggregateForWorkers();
    for (let i = 0; i < config.workers; i++) fork();
  });
}
