import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * /metrics under `--workers N`: a scrape reaches one worker, which asks the primary; the
 * primary gathers every worker's registry over IPC (prom-client's AggregatorRegistry) and
 * answers with the sum, so a scrape sees the whole service, not one process of it.
 */

const REQ = 'm365fc:metrics-req';
const RES = 'm365fc:metrics-res';

interface MetricsResponse {
  type: typeof RES;
  id: number;
  text?: string;
  error?: string;
}

let nextId = 0;
const pending = new Map<number, (r: MetricsResponse) => void>();
let listening = false;

/** In a worker: report `registry` when the primary asks. No-op outside a cluster worker. */
export function reportToPrimary(registry: Registry): void {
  if (!cluster.isWorker) return;
  // Constructing one installs prom-client's worker-side listener.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  if (listening) return;
  listening = true;
  process.on('message', (m: unknown) => {
    const r = m as Partial<MetricsResponse>;
    if (r.type !== RES || typeof r.id !== 'number') return;
    const resolve = pending.get(r.id);
    pending.delete(r.id);
    resolve?.(r as MetricsResponse);
  });
}

/** In a worker: the whole service's metrics from the primary; null outside a cluster worker
 * or when the primary does not answer in time (the caller then serves its own). */
export function serviceMetrics(timeoutMs = 3000): Promise<string | null> {
  if (!cluster.isWorker || process.send === undefined) return Promise.resolve(null);
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      pending.delete(id);
      resolve(null);
    }, timeoutMs);
    pending.set(id, (r) => {
      clearTimeout(timer);
      resolve(typeof r.text === 'string' ? r.text : null);
    });
    process.send!({ type: REQ, id });
  });
}

/** In the primary: answer the workers' metrics requests with the aggregate of all workers. */
export function aggregateForWorkers(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, m: unknown) => {
    const req = m as { type?: unknown; id?: unknown };
    if (req.type !== REQ || typeof req.id !== 'number') return;
    const id = req.id;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RES, id, text }),
      (err: unknown) => worker.send({ type: RES, id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
