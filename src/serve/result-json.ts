import type { LRUCache } from 'lru-cache';
import type { Classifier } from '../match/classifier.js';
import type { Classification, ClassifyResult } from '../core/types.js';
import { classifyCached } from './host-cache.js';
import type { ServeMetrics } from './metrics.js';

/**
 * Hand-written serialization of results, straight to bytes. The engine answers with shared
 * frozen objects (one per set, pattern or prefix and match kind, one per error code), so the
 * UTF-8 JSON of each is encoded once and kept in a WeakMap beside it; an answer is one
 * Buffer.allocUnsafe and a copy per result. Measured by bench/serve (stages), 1,000 results:
 * 37 us, against 150 us for String#join alone and 280-420 us for join or += plus the UTF-8
 * encoding the socket write would then do.
 */
const bytesOf = new WeakMap<object, Buffer>();

export function resultBytes(r: ClassifyResult): Buffer {
  let b = bytesOf.get(r);
  if (b === undefined) {
    b = Buffer.from(JSON.stringify(r), 'utf8');
    // Only shared answers are worth keeping; a per-call object would only fill the map.
    if (Object.isFrozen(r)) bytesOf.set(r, b);
  }
  return b;
}

/** Reused between calls (answers are built synchronously): no array per batch. */
const parts: Buffer[] = [];
const COMMA = 0x2c;

/**
 * Classifies `flows` in order and returns `prefix` + the JSON array of the answers + `suffix`
 * as one Buffer, e.g. prefix `{"version":"…","results":` and suffix `}`.
 */
export function answerFlows(
  c: Classifier,
  cache: LRUCache<string, Classification> | null,
  flows: readonly unknown[],
  metrics: ServeMetrics,
  route: number,
  prefix: string,
  suffix: string,
): Buffer {
  const n = flows.length;
  for (let i = 0; i < n; i++) {
    const r = classifyCached(c, cache, flows[i], metrics);
    metrics.countResult(route, r);
    parts[i] = resultBytes(r);
  }
  return assemble(n, prefix, suffix);
}

/** `prefix` + `[` + the first `n` results, comma-separated, + `]` + `suffix`. */
export function assembleResults(results: readonly ClassifyResult[], prefix: string, suffix: string): Buffer {
  for (let i = 0; i < results.length; i++) parts[i] = resultBytes(results[i]!);
  return assemble(results.length, prefix, suffix);
}

function assemble(n: number, prefix: string, suffix: string): Buffer {
  let total = Buffer.byteLength(prefix) + 2 + (n > 0 ? n - 1 : 0) + Buffer.byteLength(suffix);
  for (let i = 0; i < n; i++) total += parts[i]!.length;
  const out = Buffer.allocUnsafe(total);
  let o = out.write(prefix, 0, 'utf8');
  out[o++] = 0x5b;
  for (let i = 0; i < n; i++) {
    if (i > 0) out[o++] = COMMA;
    const b = parts[i]!;
    out.set(b, o);
    o += b.length;
  }
  out[o++] = 0x5d;
  out.write(suffix, o, 'utf8');
  // Drop the references of a large batch so uncached (per-call) answers can be collected.
  if (parts.length > 1024) parts.length = 0;
  return out;
}
