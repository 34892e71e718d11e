import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { CheckOutcome, CheckSpec, RunContext } from '../context.js';
import { skip } from '../context.js';
import { outcome } from '../http.js';
import type { UpstreamOptions } from '../types.js';

const DEFAULT_BOUND_MS = 30_000;
const DEFAULT_POLL_MS = 250;

// One GUID per run: the web service asks every client for one, and never one copied from docs.
const CLIENT_REQUEST_ID = randomUUID();

function instanceOf(ctx: RunContext, up: UpstreamOptions): string {
  const fromTarget = ctx.targetInfo?.['instance'];
  return up.instance ?? (typeof fromTarget === 'string' ? fromTarget : 'Worldwide');
}

/** `GET {upstream}/version/{instance}` → its `latest`, or why not. */
async function upstreamLatest(ctx: RunContext, up: UpstreamOptions): Promise<{ latest: string } | { error: string }> {
  const url = `${up.url.replace(/\/+$/, '')}/version/${encodeURIComponent(instanceOf(ctx, up))}?clientrequestid=${CLIENT_REQUEST_ID}`;
  try {
    const res = await request(url, { headersTimeout: ctx.timeoutMs, bodyTimeout: ctx.timeoutMs });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { error: `${url} answered ${res.statusCode}` };
    const latest = (JSON.parse(text) as { latest?: unknown }).latest;
    return typeof latest === 'string' ? { latest } : { error: `${url} has no "latest" version` };
  } catch (err) {
    return { error: `${url}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

async function targetVersion(ctx: RunContext): Promise<string> {
  const a = await ctx.http.get('/v1/version');
  const v = (a.body as { version?: unknown } | undefined)?.version;
  return a.status === 200 && typeof v === 'string' ? v : `(${outcome(a)})`;
}

/** Asks the target until it serves `want` or the bound passes. */
async function waitFor(ctx: RunContext, up: UpstreamOptions, want: string): Promise<{ version: string; ms: number; ok: boolean }> {
  const bound = up.boundMs ?? DEFAULT_BOUND_MS;
  const t0 = performance.now();
  for (;;) {
    const version = await targetVersion(ctx);
    const ms = Math.round(performance.now() - t0);
    if (version === want) return { version, ms, ok: true };
    if (ms >= bound) return { version, ms, ok: false };
    await new Promise((r) => setTimeout(r, Math.min(up.pollMs ?? DEFAULT_POLL_MS, bound - ms)));
  }
}

async function current(ctx: RunContext): Promise<CheckOutcome> {
  const up = ctx.upstream;
  if (up === null) return skip('No --upstream given');
  const l = await upstreamLatest(ctx, up);
  if ('error' in l) return { verdict: 'fail', summary: 'The upstream did not say its latest version', evidence: { notes: [l.error] } };
  const r = await waitFor(ctx, up, l.latest);
  const notes = [`upstream ${up.url} (${instanceOf(ctx, up)}) latest: ${l.latest}`, `target serves: ${r.version}`];
  if (r.ok) return { verdict: 'pass', summary: `The target serves the upstream's latest version ${l.latest}${r.ms > 0 ? ` (after ${r.ms} ms)` : ''}`, evidence: { notes } };
  return { verdict: 'fail', summary: `The target serves ${r.version}, the upstream's latest is ${l.latest} (waited ${r.ms} ms)`, evidence: { notes } };
}

async function follows(ctx: RunContext): Promise<CheckOutcome> {
  const up = ctx.upstream;
  if (up === null) return skip('No --upstream given');
  if (up.publish === undefined) return skip('The upstream cannot be made to publish a new version (only a test upstream can)');
  const before = await upstreamLatest(ctx, up);
  await up.publish();
  const after = await upstreamLatest(ctx, up);
  if ('error' in after) return { verdict: 'fail', summary: 'The upstream did not say its latest version after publishing', evidence: { notes: [after.error] } };
  if (!('error' in before) && before.latest === after.latest) return skip(`The upstream still reports ${after.latest} after publishing`);
  const r = await waitFor(ctx, up, after.latest);
  const bound = up.boundMs ?? DEFAULT_BOUND_MS;
  const notes = [`upstream published ${after.latest}`, `bound ${bound} ms`, `target serves: ${r.version}`];
  if (r.ok) return { verdict: 'pass', summary: `The target followed the upstream to ${after.latest} in ${r.ms} ms (bound ${bound} ms)`, evidence: { notes, counts: { followMs: r.ms, boundMs: bound } } };
  return { verdict: 'fail', summary: `The target still serves ${r.version} ${r.ms} ms after the upstream published ${after.latest}`, evidence: { notes } };
}

export const FRESHNESS: readonly CheckSpec[] = [
  { id: 'freshness.current', title: "The target serves the upstream's latest version", run: current },
  { id: 'freshness.follows', title: 'The target follows a newly published version within the bound', run: follows },
].map((c) => ({ ...c, group: 'freshness' as const, principle: 'identify-and-differentiate' as const, required: true }));
