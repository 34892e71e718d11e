import type { Instance, Snapshot } from '../core/types.js';

/**
 * What is asked of /endpoints: the instance and the query (TenantName, NoIPv6, ServiceAreas).
 * Only data fetched with the same query is comparable: a snapshot's query is read back from its
 * origin URL, and a state dir records the query it was filled with (state-store.ts).
 */
export interface UpstreamQuery {
  readonly instance: Instance;
  readonly tenantName?: string | undefined;
  readonly noIPv6?: boolean | undefined;
  readonly serviceAreas?: readonly string[] | undefined;
}

/** The query a snapshot was fetched with, read back from its origin URL; null if not from /endpoints. */
export function queryOfOrigin(origin: string): UpstreamQuery | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  const m = /\/endpoints\/([^/]+)$/i.exec(url.pathname);
  if (!m) return null;
  const p = url.searchParams;
  const areas = p.get('ServiceAreas');
  const tenant = p.get('TenantName');
  return {
    instance: decodeURIComponent(m[1] as string) as UpstreamQuery['instance'],
    ...(tenant !== null ? { tenantName: tenant } : {}),
    ...(p.get('NoIPv6') === 'true' ? { noIPv6: true } : {}),
    ...(areas !== null && areas !== '' ? { serviceAreas: areas.split(',') } : {}),
  };
}

function areasKey(a: readonly string[] | undefined): string {
  return (a ?? []).map((x) => x.toLowerCase()).sort().join(',');
}

/** True when two queries ask for the same data (case and the order of service areas aside). */
export function sameQuery(a: UpstreamQuery, b: UpstreamQuery): boolean {
  return (
    a.instance.toLowerCase() === b.instance.toLowerCase() &&
    (a.tenantName ?? '').toLowerCase() === (b.tenantName ?? '').toLowerCase() &&
    (a.noIPv6 === true) === (b.noIPv6 === true) &&
    areasKey(a.serviceAreas) === areasKey(b.serviceAreas)
  );
}

/** True when `snapshot` was fetched with exactly `query`: only then is an equal version the same data. */
export function fetchedWith(snapshot: Snapshot, query: UpstreamQuery): boolean {
  const q = queryOfOrigin(snapshot.origin);
  return q !== null && sameQuery(q, query);
}

/** The query as a person reads it in a log line or an error message. */
export function describeQuery(q: UpstreamQuery): string {
  const parts: string[] = [q.instance];
  if (q.serviceAreas !== undefined && q.serviceAreas.length > 0) parts.push(`ServiceAreas=${q.serviceAreas.join(',')}`);
  if (q.noIPv6 === true) parts.push('NoIPv6=true');
  if (q.tenantName !== undefined) parts.push(`TenantName=${q.tenantName}`);
  return parts.join(' ');
}

/** The query in a plain JSON shape (the state dir's record, status fields). */
export function queryJson(q: UpstreamQuery): { instance: string; tenantName: string | null; noIPv6: boolean; serviceAreas: string[] } {
  return { instance: q.instance, tenantName: q.tenantName ?? null, noIPv6: q.noIPv6 === true, serviceAreas: [...(q.serviceAreas ?? [])] };
}
