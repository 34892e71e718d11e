/**
 * The status page's script, run by the browser. Type-checked on its own with the DOM library
 * (tsconfig.browser.json, part of `npm run lint`) and turned into the inline script the server
 * sends by scripts/gen-status-page.mjs (page-script.gen.ts). Data from the server is only ever
 * set as textContent, never as HTML. It reads GET /v1/stats and GET /v1/classify; the shapes
 * below are what it reads of them (routes/status-page.ts StatsBody, openapi.yaml).
 */
export {};

type Outcome = 'Optimize' | 'Allow' | 'Default' | 'none' | 'error';

interface Stats {
  at: string;
  data: {
    version: string;
    instance: string;
    source: string;
    fetchedAt: string | null;
    loadedAt: string;
    ageSeconds: number | null;
    precedence: string;
    tenant: string | null;
    sets: number;
  } | null;
  lookups: Record<Outcome, number>;
  updater: {
    stale?: boolean | null;
    consecutiveFailures?: number | null;
    lastAttempt?: string | null;
    lastOutcome?: string | null;
    lastSuccess?: string | null;
    lastErrorCode?: string | null;
    lastErrorMessage?: string | null;
    latestSeen?: string | null;
    refusedVersion?: string | null;
    backoffUntil?: string | null;
    nextCheck?: string | null;
    upstream?: string | null;
    dataAgeSeconds?: number | null;
  } | null;
  recentChanges?: Array<{
    version: string;
    previousVersion?: string | null;
    publishedAt?: string;
    totals?: Partial<Record<'setsAdded' | 'setsRemoved' | 'setsChanged' | 'ipsAdded' | 'ipsRemoved' | 'urlsAdded' | 'urlsRemoved', number>>;
  }>;
}

interface Candidate {
  endpointSetId: number;
  category: string;
  serviceArea: string;
  matchedBy: string;
  matched: string;
  eligible: boolean;
  won: boolean;
  reason?: string;
}

/** A classification with explain=true, or an error body: the fields the page shows. */
interface Answer {
  code?: string;
  message?: string;
  m365?: boolean;
  category?: Outcome | null;
  action?: string;
  serviceArea?: string | null;
  endpointSetId?: number | null;
  matchedBy?: string | null;
  matched?: string | null;
  expressRoute?: boolean | null;
  required?: boolean | null;
  version?: string;
  candidates?: Candidate[];
}

type Text = string | number | null | undefined;
type Row = [label: string, value: Text, cls?: string];

const OUTCOMES: readonly Outcome[] = ['Optimize', 'Allow', 'Default', 'none', 'error'];
const NAMES: Record<Outcome, string> = { Optimize: 'Optimize', Allow: 'Allow', Default: 'Default', none: 'Not Microsoft 365', error: 'Invalid flow' };
const ACTIONS: Record<string, string> = { bypass: 'bypass: send direct, no proxy, no TLS inspection', direct: 'direct: send direct (local breakout)', default: 'default: the normal path', none: 'none: not Microsoft 365' };
const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(250, Number(params.get('poll')) || 2000);
const HISTORY = 60;
const history: Array<{ at: number; lookups: Record<Outcome, number> }> = [];
let token = sessionStorage.getItem('m365fc-token');
const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

function el(tag: string, attrs: Record<string, string> | null, ...children: Array<Node | Text>): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c == null ? '' : String(c)));
  return e;
}
function dl(target: HTMLElement, rows: Row[]): void {
  target.replaceChildren(...rows.flatMap(([k, v, cls]) => [el('dt', {}, k), el('dd', cls ? { class: cls } : {}, v)]));
}
function ago(iso: string | null | undefined): string {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return (s >= 0 ? duration(s) + ' ago' : 'in ' + duration(-s)) + ' (' + iso + ')';
}
function duration(s: number | null): string {
  if (s == null) return 'unknown';
  if (s < 90) return s + ' s';
  if (s < 5400) return Math.round(s / 60) + ' min';
  if (s < 172800) return (s / 3600).toFixed(1) + ' h';
  return (s / 86400).toFixed(1) + ' days';
}
function fmtRate(r: number): string {
  return r >= 1e6 ? (r / 1e6).toFixed(2) + 'M' : r >= 1e4 ? (r / 1e3).toFixed(1) + 'k' : r >= 10 ? r.toFixed(0) : r.toFixed(1);
}
async function api(path: string): Promise<Response> {
  const res = await fetch(path, { headers: token ? { authorization: 'Bearer ' + token } : {} });
  if (res.status === 401) {
    $('token-box').style.display = 'block';
    $('conn').textContent = 'this server needs a token';
    throw new Error('401');
  }
  return res;
}

function sparkline(points: number[], color: string): SVGSVGElement {
  const w = 160, h = 34, max = Math.max(1e-9, ...points);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', String(w)); svg.setAttribute('height', String(h)); svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
  svg.setAttribute('role', 'img');
  const path = document.createElementNS(ns, 'polyline');
  const n = Math.max(2, points.length);
  path.setAttribute('points', points.map((p, i) => ((i / (n - 1)) * w).toFixed(1) + ',' + (h - 2 - (p / max) * (h - 4)).toFixed(1)).join(' '));
  path.setAttribute('fill', 'none'); path.setAttribute('stroke', color); path.setAttribute('stroke-width', '2');
  svg.append(path);
  return svg;
}
const COLORS: Record<Outcome, string> = { Optimize: '#1a7f37', Allow: '#0969da', Default: '#bf8700', none: '#6e7781', error: '#cf222e' };

function renderRates(stats: Stats): void {
  history.push({ at: Date.parse(stats.at), lookups: stats.lookups });
  if (history.length > HISTORY) history.shift();
  const rates: Array<Record<Outcome, number>> = [];
  for (let i = 1; i < history.length; i++) {
    const a = history[i - 1]!, b = history[i]!;
    const dt = Math.max(1e-3, (b.at - a.at) / 1000);
    const r = {} as Record<Outcome, number>;
    for (const o of OUTCOMES) r[o] = Math.max(0, (b.lookups[o] - a.lookups[o]) / dt);
    rates.push(r);
  }
  const last = rates[rates.length - 1];
  $('rates').replaceChildren(...OUTCOMES.map((o) => el('div', { class: 'rate', 'data-outcome': o },
    el('div', { class: 'name' }, el('span', { class: 'badge ' + o }, NAMES[o])),
    el('div', { class: 'value' }, last ? fmtRate(last[o]) + ' /s' : '…'),
    el('div', { class: 'total' }, stats.lookups[o].toLocaleString('en-US') + ' since start'),
    sparkline(rates.map((r) => r[o]), COLORS[o]))));
}

function renderData(stats: Stats): void {
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

function renderUpdater(stats: Stats): void {
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
function renderAlert(stats: Stats): void {
  const u = stats.updater, d = stats.data, box = $('update-alert');
  const failures = u?.consecutiveFailures ?? 0;
  if (!u || !d || !(failures > 0 || u.stale)) { box.style.display = 'none'; return; }
  const head = failures > 0
    ? 'Updates from Microsoft fail: ' + failures + ' check' + (failures === 1 ? '' : 's') + ' in a row, last success ' + (u.lastSuccess ? ago(u.lastSuccess) : 'never')
    : 'The data is stale: not confirmed current for ' + duration(u.dataAgeSeconds ?? null);
  const why = u.lastErrorCode ? 'Why: ' + u.lastErrorCode + ': ' + (u.lastErrorMessage || 'asking ' + (u.upstream ?? 'upstream')) + '.' : '';
  const serving = 'Still serving ' + d.source + ' data ' + d.version + (d.ageSeconds != null ? ', ' + duration(d.ageSeconds) + ' old' : '') + '. Next try ' + (u.nextCheck ? ago(u.nextCheck) : 'on the normal schedule') + '.';
  box.replaceChildren(el('strong', {}, head), el('div', {}, why), el('div', {}, serving));
  box.style.display = 'block';
}

function renderChanges(stats: Stats): void {
  const list = stats.recentChanges || [];
  if (list.length === 0) { $('changes').replaceChildren(el('li', { class: 'muted' }, 'No change published since this server started.')); return; }
  $('changes').replaceChildren(...list.map((c) => {
    const t = c.totals || {};
    const parts: string[] = [];
    if (t.setsAdded != null) parts.push('sets +' + t.setsAdded + ' −' + t.setsRemoved + ' ~' + t.setsChanged);
    if (t.ipsAdded != null) parts.push('prefixes +' + t.ipsAdded + ' −' + t.ipsRemoved);
    if (t.urlsAdded != null) parts.push('hosts +' + t.urlsAdded + ' −' + t.urlsRemoved);
    return el('li', {}, el('code', {}, c.version), ' from ', el('code', {}, c.previousVersion || '–'),
      c.publishedAt ? ', published ' + ago(c.publishedAt) : '', parts.length ? ': ' + parts.join(', ') : '');
  }));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function poll(): Promise<void> {
  try {
    const res = await api('/v1/stats');
    if (!res.ok) throw new Error('HTTP ' + res.status);
    const stats = (await res.json()) as Stats;
    renderAlert(stats); renderData(stats); renderUpdater(stats); renderRates(stats); renderChanges(stats);
    $('conn').textContent = 'live, every ' + (POLL_MS / 1000) + ' s';
    $('conn').className = 'muted ok';
  } catch (err) {
    if (messageOf(err) !== '401') { $('conn').textContent = 'cannot reach the server (' + messageOf(err) + ')'; $('conn').className = 'muted bad'; }
  }
  setTimeout(poll, POLL_MS);
}

async function classify(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const q = new URLSearchParams();
  for (const name of ['ip', 'host', 'port', 'protocol']) { const v = (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim(); if (v) q.set(name, v); }
  q.set('explain', 'true');
  const out = $('answer');
  out.replaceChildren(el('span', { class: 'muted' }, 'asking…'));
  try {
    const res = await api('/v1/classify?' + q);
    const body = (await res.json()) as Answer;
    if (!res.ok) {
      out.replaceChildren(el('div', { class: 'big bad' }, body.code || ('HTTP ' + res.status)), el('div', {}, body.message || ''));
      return;
    }
    const cat: Outcome = body.m365 && body.category ? body.category : 'none';
    const head = el('div', { class: 'big', id: 'verdict' }, el('span', { class: 'badge ' + cat }, NAMES[cat]), ' ', ACTIONS[body.action ?? ''] || body.action);
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
    if (messageOf(err) !== '401') out.replaceChildren(el('div', { class: 'bad' }, 'request failed: ' + messageOf(err)));
  }
}

$('classify').addEventListener('submit', (ev) => void classify(ev as SubmitEvent));
$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  token = ((ev.target as HTMLFormElement).elements.namedItem('token') as HTMLInputElement).value.trim();
  sessionStorage.setItem('m365fc-token', token);
  $('token-box').style.display = 'none';
});
void poll();
