import type { Classifier } from '../index.js';
import type { ClassifyResult } from '../types.js';
import { classifyCached } from './host-cache.js';
import type { LRUCache } from 'lru-cache';
import type { Classification } from '../types.js';
import type { ServeMetrics } from './metrics.js';

/**
 * Hand-written serialization of results. The engine answers with shared frozen
 * Classification objects (one per set, pattern or prefix, and match kind), so the JSON text of
 * each is computed once and kept in a WeakMap beside it; a batch answer is then a join of
 * cached strings.
 */
const jsonOf = new WeakMap<object, string>();

export function resultJson(r: ClassifyResult): string {
  let s = jsonOf.get(r);
  if (s === undefined) {
    s = JSON.stringify(r);
    // Only shared answers are worth keeping; a per-call object would only fill the map.
    if (Object.isFrozen(r)) jsonOf.set(r, s);
  }
  return s;
}

/** Classifies `flows` in order and returns the JSON array of the answers. */
export function answerFlows(
  c: Classifier,
  cache: LRUCache<string, Classification> | null,
  flows: readonly unknown[],
  metrics: ServeMetrics,
  route: number,
): string {
  const n = flows.length;
  if (n === 0) return '[]';
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const r = classifyCached(c, cache, flows[i], metrics);
    metrics.countResult(route, r);
    parts[i] = resultJson(r);
  }
  return `[${parts.join(',')}]`;
}
