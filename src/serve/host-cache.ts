import { LRUCache } from 'lru-cache';
import type { Classifier } from '../match/classifier.js';
import type { Classification, ClassifyResult, Flow } from '../core/types.js';
import { isFlowError } from '../core/types.js';

/**
 * Host results cached per index: the cache of a Classifier lives in a WeakMap keyed by that
 * Classifier, so a swap starts from an empty cache and can never serve an answer of the old
 * data; the old cache is collected with the old index.
 */
export class HostCaches {
  private readonly byIndex = new WeakMap<Classifier, LRUCache<string, Classification>>();
  private readonly max: number;

  /** `max` entries per index; 0 disables the cache. */
  constructor(max: number) {
    this.max = max;
  }

  /** The cache of `c`, or null when caching is disabled. */
  of(c: Classifier): LRUCache<string, Classification> | null {
    if (this.max <= 0) return null;
    let cache = this.byIndex.get(c);
    if (cache === undefined) {
      cache = new LRUCache<string, Classification>({ max: this.max });
      this.byIndex.set(c, cache);
    }
    return cache;
  }
}

/**
 * The cache key of a flow with a host, or null when a field has a type the engine will refuse
 * (those are never cached). Fields are joined by '\n', which no valid field contains, and a
 * present field is marked with '=', so an absent field and an empty one never share a key.
 */
export function hostKey(flow: Flow, host: string): string | null {
  const { ip, port, protocol } = flow;
  if (ip !== undefined && typeof ip !== 'string') return null;
  if (port !== undefined && typeof port !== 'number' && typeof port !== 'string') return null;
  if (protocol !== undefined && typeof protocol !== 'string') return null;
  return `${host}\n${ip === undefined ? '' : '=' + ip}\n${port === undefined ? '' : '=' + port}\n${protocol === undefined ? '' : '=' + protocol}`;
}

export interface CacheCounters {
  hostCacheHits: number;
  hostCacheMisses: number;
}

/** `c.classify(flow)`, through the host cache when the flow has a host. Never throws. */
export function classifyCached(
  c: Classifier,
  cache: LRUCache<string, Classification> | null,
  flow: unknown,
  counters: CacheCounters,
): ClassifyResult {
  if (cache !== null && typeof flow === 'object' && flow !== null) {
    const host = (flow as Flow).host;
    if (typeof host === 'string') {
      const key = hostKey(flow as Flow, host);
      if (key !== null) {
        const hit = cache.get(key);
        if (hit !== undefined) {
          counters.hostCacheHits++;
          return hit;
        }
        counters.hostCacheMisses++;
        const r = c.classify(flow as Flow);
        if (!isFlowError(r)) cache.set(key, r);
        return r;
      }
    }
  }
  // The engine checks every field and answers a FlowError for anything else, objects or not.
  return c.classify(flow as Flow);
}
