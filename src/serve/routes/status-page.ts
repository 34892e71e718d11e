import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.js';
import type { ChangeRecord } from '../live-index.js';
import { sendJson } from '../reply.js';
import { dataInUse, type DataInUse } from './data.js';

/**
 * GET / — the status page: the data in use (version, age, source), the updater's last attempts,
 * lookup rates by category (live: the page polls GET /v1/stats and draws the differences), the
 * latest changes, and a form that classifies a flow with explain=true. Plain HTML, CSS and one
 * inline script; no framework, nothing fetched but this server's own JSON routes.
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
    at: new Date(ctx.now()).toISOString(),
    uptimeSeconds: Math.round(process.uptime()),
    data: dataInUse(ctx),
    lookups: await lookupCounts(ctx),
    updater: live.updaterStatus,
    recentChanges: (live.changes ?? []).slice(-RECENT_CHANGES).reverse(),
  };
}

const CSS = `
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;margin:0}
main{max-width:1060px;margin:0 auto;padding:20px}
header{display:flex;align-items:baseline;gap:16px;flex-wrap:wrap}h1{font-size:24px;margin:0}
.muted{color:#59636e;font-size:13px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin-top:16px}
section{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:16px 18px}
section.wide{grid-column:1/-1}
h2{font-size:17px;margin:0 0 10px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 14px;margin:0;font-size:14px}dt{color:#59636e}dd{margin:0;font-variant-numeric:tabular-nums}
.rates{display:grid;grid-template-columns:repeat(5,1fr);gap:10px}
.rate{border:1px solid #eaeef2;border-radius:6px;padding:8px 10px}
.rate .name{font-size:13px;color:#59636e}.rate .value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.rate .total{font-size:12px;color:#59636e}
.rate svg{display:block;margin-top:4px}
.badge{display:inline-block;color:#fff;border-radius:10px;padding:1px 9px;font-size:13px}
.Optimize{background:#1a7f37}.Allow{background:#0969da}.Default{background:#bf8700}.none{background:#6e7781}.error{background:#cf222e}
.ok{color:#1a7f37}.warn{color:#9a6700}.bad{color:#cf222e}
form{display:flex;gap:8px;flex-wrap:wrap;align-items:end}
label{display:flex;flex-direction:column;font-size:13px;color:#59636e;gap:3px}
input,select,button{font:inherit;font-size:14px;padding:5px 8px;border:1px solid #d1d9e0;border-radius:6px}
input{width:170px}input[name=port]{width:80px}
button{background:#1f883d;color:#fff;border-color:#1a7f37;cursor:pointer}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:10px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
tr.won td{background:#dafbe1}
.answer{margin-top:12px;font-size:15px}.answer .big{font-size:20px;font-weight:600}
ul.changes{margin:0;padding-left:18px;font-size:14px}ul.changes li{margin:3px 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
#token-box{display:none;margin-top:12px}
#update-alert{display:none;margin-top:14px;padding:10px 14px;border-radius:8px;border:1px solid #ff818266;background:#ffebe9;color:#82071e;font-size:14px}
#update-alert strong{display:block;font-size:15px;margin-bottom:2px}
`;

/** The page's script. Data from the server is only ever set as textContent, never as HTML. */
const SCRIPT = `
'use strict';
const OUTCOMES = ['Optimize', 'Allow', 'Default', 'none', 'error'];
const NAMES = { Optimize: 'Optimize', Allow: 'Allow', Default: 'Default', none: 'Not Microsoft 365', error: 'Invalid flow' };
const ACTIONS = { bypass: 'bypass: send direct, no proxy, no TLS inspection', direct: 'direct: send direct (local breakout)', default: 'default: the normal path', none: 'none: not Microsoft 365' };
const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(250, Number(params.get('poll')) || 2000);
const HISTORY = 60;
const history = [];
let token = sessionStorage.getItem('m365fc-token');
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}
function dl(target, rows) {
  target.replaceChildren(...rows.flatMap(([k, v, cls]) => [el('dt', {}, k), el('dd', cls ? { class: cls } : {}, v)]));
}
function ago(iso) {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return (s >= 0 ? duration(s) + ' ago' : 'in ' + duration(-s)) + ' (' + iso + ')';
}
function duration(s) {
  if (s == null) return 'unknown';
  if (s < 90) return s + ' s';
  if (s < 5400) return Math.round(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' days';
}
function fmtRate(r) {
  return r >= 1e6 ? (r / 1e6).toFixed(2) + 'M' : r >= 1e4 ? (r / 1e3).toFixed(1) + 'k' : r >= 10 ? r.toFixed(0) : r.toFixed(1);
}
async function api(path) {
  const res = await fetch(path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (res.status === 401) {
    $('token-box').style.display = 'block';
    $('conn').textContent = 'this server needs a token';
    throw new Error('401');
  }
  return res;
}

function sparkline(points, color) {
  const w = 160, h = 34, max = Math.max(1e-9, ...points);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', w); svg.setAttribute('height', h); svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  svg.setAttribute('role', 'img');
  const path = document.createElementNS(ns, 'polyline');
  const n = Math.max(2, points.length);
  path.setAttribute('points', points.map((p, i) => ((i / (n - 1)) * w).toFixed(1) + ',' + (h - 2 - (p / max) * (h - 4)).toFixed(1)).join(' '));
  path.setAttribute('fill', 'none'); path.setAttribute('stroke', color); path.setAttribute('stroke-width', '2');
  svg.append(path);
  return svg;
}
const COLORS = { Optimize: '#1a7f37', Allow: '#0969da', Default: '#bf8700', none: '#6e7781', error: '#cf222e' };

function renderRates(stats) {
  history.push({ at: Date.parse(stats.at), lookups: stats.lookups });
  if (history.length > HISTORY) history.shift();
  const rates = [];
  for (let i = 1; i < history.length; i++) {
    const dt = Math.max(1e-3, (history[i].at - history[i - 1].at) / 1000);
    const r = {};
    for (const o of OUTCOMES) r[o] = Math.max(0, (history[i].lookups[o] - history[i - 1].lookups[o]) / dt);
    rates.push(r);
  }
  const last = rates[rates.length - 1];
  $('rates').replaceChildren(...OUTCOMES.map((o) => el('div', { class: 'rate', 'data-outcome': o },
    el('div', { class: 'name' }, el('span', { class: 'badge ' + o }, NAMES[o])),
    el('div', { class: 'value' }, last ? fmtRate(last[o]) + ' /s' : '…'),
    el('div', { class: 'total' }, stats.lookups[o].toLocaleString('en-US') + ' since start'),
    sparkline(rates.map((r) => r[o]), COLORS[o]))));
}

function renderData(stats) {
  const d = stats.data;
  if (!d) { dl($('data'), [['Data', 'no index loaded yet', 'bad']]); return; }
  const stale = stats.updater && stats.updater.stale;
  dl($('data'), [
    ['Version', d.version],
    ['Instance', d.instance],
    ['Source', d.source],
    ['Fetched', d.fetchedAt ? ago(d.fetchedAt) : 'unknown (' + d.source + ' data carries no date)'],
    ['Age', duration(d.ageSeconds), stale ? 'bad' : ''],
    ['Loaded here', ago(d.loadedAt)],
    ['Endpoint sets', d.sets],
    ['Precedence', d.precedence],
    ['Tenant', d.tenant || '(none)'],
  ]);
  $('version').textContent = d.instance + ' ' + d.version + ' · ' + d.source;
}

function renderUpdater(stats) {
  const u = stats.updater;
  if (!u) { dl($('updater'), [['Updater', 'not running: this server serves ' + (stats.data ? stats.data.source : 'no') + ' data and does not follow Microsoft']]); return; }
  const failing = (u.consecutiveFailures || 0) > 0;
  dl($('updater'), [
    ['Last attempt', ago(u.lastAttempt)],
    ['Outcome', u.lastOutcome || (failing ? 'failed' : 'ok'), failing ? 'bad' : 'ok'],
    ['Last success', ago(u.lastSuccess)],
    ['Failures in a row', u.consecutiveFailures == null ? '–' : u.consecutiveFailures, failing ? 'bad' : ''],
    ['Last error', u.lastErrorCode ? u.lastErrorCode + (u.lastErrorMessage ? ': ' + u.lastErrorMessage : '') : 'none', u.lastErrorCode ? 'bad' : ''],
    ['Latest upstream', u.latestSeen || '–'],
    ['Refused version', u.refusedVersion || '–'],
    ['Backing off until', u.backoffUntil || '–', u.backoffUntil ? 'warn' : ''],
    ['Stale', u.stale == null ? '–' : u.stale ? 'yes' : 'no', u.stale ? 'bad' : 'ok'],
    ['Next check', u.nextCheck ? ago(u.nextCheck) : '–'],
  ]);
}

// The first thing an operator sees when the service cannot reach Microsoft: that updates fail,
// why (the updater's last error), and what is served meanwhile.
function renderAlert(stats) {
  const u = stats.updater, d = stats.data, box = $('update-alert');
  if (!u || !d || !((u.consecutiveFailures || 0) > 0 || u.stale)) { box.style.display = 'none'; return; }
  const failing = (u.consecutiveFailures || 0) > 0;
  const head = failing
    ? 'Updates from Microsoft fail: ' + u.consecutiveFailures + ' check' + (u.consecutiveFailures === 1 ? '' : 's') + ' in a row, last success ' + (u.lastSuccess ? ago(u.lastSuccess) : 'never')
    : 'The data is stale: not confirmed current for ' + duration(u.dataAgeSeconds);
  const why = u.lastErrorCode ? 'Why: ' + u.lastErrorCode + ': ' + (u.lastErrorMessage || 'asking ' + u.upstream) + '.' : '';
  const serving = 'Still serving ' + d.source + ' data ' + d.version + (d.ageSeconds != null ? ', ' + duration(d.ageSeconds) + ' old' : '') + '. Next try ' + (u.nextCheck ? ago(u.nextCheck) : 'on the normal schedule') + '.';
  box.replaceChildren(el('strong', {}, head), el('div', {}, why), el('div', {}, serving));
  box.style.display = 'block';
}

function renderChanges(stats) {
  const list = stats.recentChanges || [];
  if (list.length === 0) { $('changes').replaceChildren(el('li', { class: 'muted' }, 'No change published since this server started.')); return; }
  $('changes').replaceChildren(...list.map((c) => {
    const t = c.totals || {};
    const parts = [];
    if (t.setsAdded != null) parts.push('sets +' + t.setsAdded + ' −' + t.setsRemoved + ' ~' + t.setsChanged);
    if (t.ipsAdded != null) parts.push('prefixes +' + t.ipsAdded + ' −' + t.ipsRemoved);
    if (t.urlsAdded != null) parts.push('hosts +' + t.urlsAdded + ' −' + t.urlsRemoved);
    return el('li', {}, el('code', {}, c.version), ' from ', el('code', {}, c.previousVersion || '–'),
      c.publishedAt ? ', published ' + ago(c.publishedAt) : '', parts.length ? ': ' + parts.join(', ') : '');
  }));
}

async function poll() {
  try {
    const res = await api('/v1/stats');
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const stats = await res.json();
    renderAlert(stats); renderData(stats); renderUpdater(stats); renderRates(stats); renderChanges(stats);
    $('conn').textContent = 'live, every ' + (POLL_MS / 1000) + ' s';
    $('conn').className = 'muted ok';
  } catch (err) {
    if (String(err.message) !== '401') { $('conn').textContent = 'cannot reach the server (' + err.message + ')'; $('conn').className = 'muted bad'; }
  }
  setTimeout(poll, POLL_MS);
}

async function classify(ev) {
  ev.preventDefault();
  const form = ev.target;
  const q = new URLSearchParams();
  for (const name of ['ip', 'host', 'port', 'protocol']) { const v = form.elements[name].value.trim(); if (v) q.set(name, v); }
  q.set('explain', 'true');
  const out = $('answer');
  out.replaceChildren(el('span', { class: 'muted' }, 'asking…'));
  try {
    const res = await api('/v1/classify?' + q);
    const body = await res.json();
    if (!res.ok) {
      out.replaceChildren(el('div', { class: 'big bad' }, body.code || ('HTTP ' + res.status)), el('div', {}, body.message || ''));
      return;
    }
    const cat = body.m365 ? body.category : 'none';
    const head = el('div', { class: 'big', id: 'verdict' }, el('span', { class: 'badge ' + cat }, NAMES[cat]), ' ', ACTIONS[body.action] || body.action);
    const facts = el('dl', {});
    dl(facts, body.m365 ? [
      ['Service area', body.serviceArea], ['Endpoint set', body.endpointSetId], ['Matched by', body.matchedBy],
      ['Matched', body.matched], ['ExpressRoute', body.expressRoute ? 'yes' : 'no'], ['Required', body.required ? 'yes' : 'no'], ['Data version', body.version],
    ] : [['Data version', body.version]]);
    const rows = (body.candidates || []).map((c) => el('tr', c.won ? { class: 'won' } : {},
      el('td', {}, c.endpointSetId), el('td', {}, el('span', { class: 'badge ' + c.category }, c.category)), el('td', {}, c.serviceArea),
      el('td', {}, c.matchedBy), el('td', {}, el('code', {}, c.matched)), el('td', {}, c.eligible ? 'yes' : 'no'), el('td', {}, c.won ? 'won' : c.reason)));
    const table = rows.length
      ? el('table', { id: 'candidates' }, el('thead', {}, el('tr', {}, ...['Set', 'Category', 'Service area', 'By', 'Pattern or prefix', 'Eligible', 'Why'].map((h) => el('th', {}, h)))), el('tbody', {}, ...rows))
      : el('p', { class: 'muted' }, 'No endpoint set lists this host or address.');
    out.replaceChildren(head, facts, el('h3', {}, 'Candidates'), table);
  } catch (err) {
    if (String(err.message) !== '401') out.replaceChildren(el('div', { class: 'bad' }, 'request failed: ' + err.message));
  }
}

$('classify').addEventListener('submit', classify);
$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = ev.target.elements.token.value.trim();
  sessionStorage.setItem('m365fc-token', token);
  $('token-box').style.display = 'none';
});
poll();
`;

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>m365fc status</title><link rel="icon" href="data:,"><style>${CSS}</style></head>
<body><main>
<header><h1>m365-flow-classifier</h1><span id="version" class="muted"></span><span id="conn" class="muted">connecting…</span></header>
<div id="update-alert" role="alert"></div>
<div id="token-box"><form id="token-form"><label>Bearer token<input name="token" type="password" autocomplete="off"></label><button type="submit">Use token</button></form></div>
<div class="grid">
<section class="wide" id="rates-section"><h2>Lookups per second by category</h2><div id="rates" class="rates"></div></section>
<section id="data-section"><h2>Data in use</h2><dl id="data"></dl></section>
<section id="updater-section"><h2>Updates from Microsoft</h2><dl id="updater"></dl></section>
<section class="wide" id="classify-section"><h2>Classify a flow</h2>
<form id="classify"><label>IP address<input name="ip" placeholder="40.96.1.1"></label><label>Host (SNI)<input name="host" placeholder="outlook.office.com"></label>
<label>Port<input name="port" placeholder="443"></label><label>Protocol<select name="protocol"><option value="">any</option><option>tcp</option><option>udp</option></select></label>
<button type="submit">Classify</button></form><div id="answer" class="answer"></div></section>
<section class="wide" id="changes-section"><h2>Recent changes</h2><ul id="changes" class="changes"></ul></section>
</div></main><script>${SCRIPT}</script></body></html>
`;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64');
}

/**
 * Only this page's own script and style run, it talks only to this server, and it cannot be framed
 * (the script and style are pinned by hash: an injected one would not run).
 */
const CSP = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(SCRIPT)}'`,
  `style-src 'sha256-${sha256(CSS)}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export function statusPageRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/', { config: { auth: 'none' } }, (_req, reply) =>
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-store').send(HTML),
  );
  app.get('/v1/stats', { config: { auth: 'lookup' } }, async (_req, reply) => sendJson(reply.header('cache-control', 'no-store'), JSON.stringify(await statsBody(ctx))));
}
