/**
 * Microsoft's /changes records, as documented: parsed leniently (enrichment only), a record
 * without the core fields is dropped by the caller; unknown fields are kept out.
 */

import type { ChangeItems, ChangeRecord } from '../core/types.js';

export type { ChangeItems, ChangeRecord } from '../core/types.js';

/** The record, or null when it lacks the documented core fields. */
export function toChangeRecord(r: unknown): ChangeRecord | null {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return null;
  const o = r as Record<string, unknown>;
  const { id, endpointSetId, disposition, impact, version } = o;
  if (typeof id !== 'number' || typeof endpointSetId !== 'number' || typeof disposition !== 'string' || typeof version !== 'string') return null;
  const items = (v: unknown): ChangeItems | undefined => {
    if (typeof v !== 'object' || v === null) return undefined;
    const x = v as Record<string, unknown>;
    const strings = (a: unknown): string[] | undefined => (Array.isArray(a) ? a.filter((s): s is string => typeof s === 'string') : undefined);
    const ips = strings(x['ips']);
    const urls = strings(x['urls']);
    return {
      ...(typeof x['effectiveDate'] === 'string' ? { effectiveDate: x['effectiveDate'] } : {}),
      ...(ips ? { ips } : {}),
      ...(urls ? { urls } : {}),
    };
  };
  const record = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  const add = items(o['add']);
  const remove = items(o['remove']);
  const previous = record(o['previous']);
  const current = record(o['current']);
  return {
    id,
    endpointSetId,
    disposition,
    impact: typeof impact === 'string' ? impact : null,
    version,
    ...(previous ? { previous } : {}),
    ...(current ? { current } : {}),
    ...(add ? { add } : {}),
    ...(remove ? { remove } : {}),
  };
}
