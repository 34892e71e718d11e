import { Counter, Gauge, Histogram } from 'prom-client';
import type { ServeMetrics } from '../metrics.js';

/**
 * Metrics of the binary protocol, in the service's registry beside the others: frames answered
 * by transport and kind of answer, open TCP connections, time to answer a frame. Flows answered
 * are counted in m365fc_lookups_total with route "binary".
 */
export class BinaryMetrics {
  readonly frames: Counter<'transport' | 'answer'>;
  readonly tcpConnections: Gauge;
  readonly frameDuration: Histogram;
  readonly slowConsumerCloses: Counter;

  constructor(metrics: ServeMetrics) {
    const registers = [metrics.registry];
    this.frames = new Counter({
      name: 'm365fc_binary_frames_total',
      help: 'Binary frames answered, by transport (websocket, tcp) and answer (answer, error, hello_ok)',
      labelNames: ['transport', 'answer'],
      registers,
    });
    this.tcpConnections = new Gauge({ name: 'm365fc_binary_tcp_connections', help: 'Open connections on the binary TCP port', registers });
    this.frameDuration = new Histogram({
      name: 'm365fc_binary_frame_duration_seconds',
      help: 'Time to answer one binary frame (decode, classify, encode)',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025],
      registers,
    });
    this.slowConsumerCloses = new Counter({
      name: 'm365fc_binary_tcp_slow_consumer_closes_total',
      help: 'Binary TCP connections closed because the client did not read its answers',
      registers,
    });
  }
}

const byMetrics = new WeakMap<ServeMetrics, BinaryMetrics>();

/** The binary metrics of a service (created, and registered, on first use). */
export function binaryMetricsOf(metrics: ServeMetrics): BinaryMetrics {
  let m = byMetrics.get(metrics);
  if (m === undefined) {
    m = new BinaryMetrics(metrics);
    byMetrics.set(metrics, m);
  }
  return m;
}

const ANSWER_KINDS = ['', '', 'answer', 'error', '', 'hello_ok'] as const;

/** Counts one answered frame and its time; `answer` is the frame sent back. */
export function countFrame(m: BinaryMetrics, transport: 'websocket' | 'tcp', answer: Buffer, startedMs: number): void {
  m.frames.inc({ transport, answer: ANSWER_KINDS[answer[3]!] ?? 'error' });
  m.frameDuration.observe((performance.now() - startedMs) / 1000);
}
