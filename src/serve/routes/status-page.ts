import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import type { ChangeRecord } from '../../follow/live-index.js';
import { sendJson } from '../reply.js';
import { dataInUse, type DataInUse } from './data.js';
import { CSP, HTML } from '../status-page/page-html.js';

/**
 * GET / — the status page: the data in use (version, age, source), the updater's last attempts,
 * lookup rates by category (live: the page polls GET /v1/stats and draws the differences), the
 * latest changes, and a form that classifies a flow with explain=true (the page: ../status-page/);
 * nothing fetched but this server's own JSON routes.
 *
 * GET /v1/stats — what the page polls: cumulative lookups by outcome (read from the
 * m365fc_lookups_total counter, so the page and /metrics agree), the data and updater state, and
 * the last few changes. Under the same auth as the lookup routes.
 *
 * The page carries no data itself, so it needs no token; when the server asks for one, the page
 * asks the user and keeps it for the browser session only.
 */

const OUTCOMES = ['Optimize', 'Allow', 'Default', 'none', 'error'] as const;
type Outcome = (typeof OUTCOMES)[number];
const RECENT_CHANGES = 10;

export interface StatsBody {
  at: string;
  uptimeSeconds: number;
  data: DataInUse | null;
  lookups: Record<Outcome, number>;
  updater: unknown;
  recentChanges: ChangeRecord[];
}

async function lookupCounts(ctx: ServeContext): Promise<Record<Outcome, number>> {
  const out: Record<Outcome, number> = { Optimize: 0, Allow: 0, Default: 0, none: 0, error: 0 };
  const metric = ctx.metrics.registry.getSingleMetric('m365fc_lookups_total');
  if (metric === undefined) return out;
  for (const v of (await metric.get()).values) {
    const c = v.labels['category'];
    if (typeof c === 'string' && (OUTCOMES as readonly string[]).includes(c)) out[c as Outcome] += v.value;
  }
  return out;
}

export async function statsBody(ctx: ServeContext): Promise<StatsBody> {
  const { live } = ctx;
  return {
    at: new Date(ctx.clock.now()).toISOString(),
    uptimeSeconds: Math.round(process.uptime()),
    data: dataInUse(ctx),
    lookups: await lookupCounts(ctx),
    updater: live.updaterStatus,
    recentChanges: (live.changes ?? []).slice(-RECENT_CHANGES).reverse(),
  };
}

export function statusPageRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/', { config: { auth: 'none' } }, (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-store').send(HTML),
  );
  app.get('/v1/stats', { config: { auth: 'lookup' } }, async (_req, reply) => sendJson(reply.header('cache-control', 'no-store'), JSON.stringify(await statsBody(ctx))));
}
