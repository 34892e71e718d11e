import { Histogram, type MetricType, type Registry } from 'prom-client';

/**
 * A latency histogram by method and route that is cheap to observe: counts go into a
 * Float64Array per route found through two Map lookups, where prom-client's own observe
 * hashes its label object on every call (1.4 us against about 0.05 us here, per request).
 * It is a prom-client Histogram for the registry, which asks it for its values at scrape time.
 */

type Labels = 'method' | 'route' | 'le';

interface Series {
  readonly method: string;
  readonly route: string;
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is above every bound. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

export class RouteHistogram extends Histogram<Labels> {
  private readonly metricName: string;
  private readonly metricHelp: string;
  private readonly bounds: readonly number[];
  private readonly series = new Map<string, Map<string, Series>>();

  constructor(o: { name: string; help: string; buckets: readonly number[]; registers: Registry[] }) {
    super({ name: o.name, help: o.help, labelNames: ['method', 'route'], buckets: [...o.buckets], registers: o.registers });
    this.metricName = o.name;
    this.metricHelp = o.help;
    this.bounds = [...o.buckets].sort((a, b) => a - b);
  }

  observeRoute(method: string, route: string, seconds: number): void {
    let byRoute = this.series.get(method);
    if (byRoute === undefined) this.series.set(method, (byRoute = new Map()));
    let s = byRoute.get(route);
    if (s === undefined) {
      s = { method, route, counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byRoute.set(route, s);
    }
    const b = this.bounds;
    let i = 0;
    while (i < b.length && seconds > b[i]!) i++;
    s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  private values(): Array<{ labels: Partial<Record<Labels, string | number>>; value: number; metricName: string }> {
    const out: Array<{ labels: Partial<Record<Labels, string | number>>; value: number; metricName: string }> = [];
    const bucket = `${this.metricName}_bucket`;
    for (const byRoute of this.series.values()) {
      for (const s of byRoute.values()) {
        const { method, route } = s;
        let acc = 0;
        for (let i = 0; i < this.bounds.length; i++) {
          acc += s.counts[i]!;
          out.push({ labels: { le: this.bounds[i]!, method, route }, value: acc, metricName: bucket });
        }
        out.push({ labels: { le: '+Inf', method, route }, value: s.count, metricName: bucket });
        out.push({ labels: { method, route }, value: s.sum, metricName: `${this.metricName}_sum` });
        out.push({ labels: { method, route }, value: s.count, metricName: `${this.metricName}_count` });
      }
    }
    return out;
  }

  /** What the registry reads (it prefers this to get() when present). */
  getForPromString(): Promise<Awaited<ReturnType<Histogram<Labels>['get']>>> {
    return Promise.resolve({
      name: this.metricName,
      help: this.metricHelp,
      // prom-client's types declare a numeric enum; its runtime writes this string after # TYPE.
      type: 'histogram' as unknown as MetricType,
      aggregator: 'sum',
      collect: () => undefined,
      values: this.values(),
    });
  }

  override get(): ReturnType<Histogram<Labels>['get']> {
    return this.getForPromString();
  }

  override reset(): void {
    // The base constructor calls reset() before this class's fields exist.
    if ((this.series as Map<string, Map<string, Series>> | undefined) !== undefined) this.series.clear();
  }
}
