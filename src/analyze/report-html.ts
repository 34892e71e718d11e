import { OTHER_SITES } from './aggregate.js';
import { fmtBytes, fmtInt, fmtPct } from './format-units.js';
import {
  badge,
  both,
  CATEGORY_COLORS,
  catSegments,
  counts,
  DIRECT_COLOR,
  legend,
  MAX_SITES,
  metricText,
  PROXY_COLOR,
  table,
  tile,
  total,
  WIDTH,
  type Metric,
} from './report-parts.js';
import { badSection, expressRouteSection, internalSection, otherSection, setsSection, topHostsSection } from './report-sections.js';
import { CATEGORY_KEYS, type Summary } from './summary.js';
import { barRows, donut, esc, stackedBar, type BarRow } from './svg-charts.js';

/**
 * report.html: one self-contained page (inline CSS and SVG, no script, nothing fetched) that a
 * network engineer can open from disk or attach to a ticket.
 */

export { CATEGORY_COLORS } from './report-parts.js';

function categorySection(s: Summary): string {
  const t = total(s);
  const rows = CATEGORY_KEYS.map((k) => {
    const c = s.byCategory[k];
    return [
      badge(k),
      fmtInt(c.flows),
      t.flows > 0 ? fmtPct(c.flows / t.flows) : '–',
      fmtBytes(c.bytes),
      t.bytes > 0 ? fmtPct(c.bytes / t.bytes) : '–',
    ];
  });
  return `<section id="by-category"><h2>Traffic by category</h2>${legend()}
<div class="bar-label">Flows</div>${stackedBar(catSegments(s.byCategory, 'flows'), { width: WIDTH - 40, height: 28, label: 'Flows by category' })}
<div class="bar-label">Bytes</div>${stackedBar(catSegments(s.byCategory, 'bytes'), { width: WIDTH - 40, height: 28, label: 'Bytes by category' })}
${table(['Category', 'Flows', 'Share of flows', 'Bytes', 'Share of bytes'], rows, 'num')}</section>`;
}

function serviceAreaSection(s: Summary, metric: Metric): string {
  if (s.byServiceArea.length === 0) return `<section id="by-service-area"><h2>Microsoft 365 traffic by service area</h2><p class="empty">No Microsoft 365 traffic in the logs.</p></section>`;
  const rows: BarRow[] = s.byServiceArea.map((a) => ({
    label: a.serviceAreaDisplayName || a.serviceArea,
    segments: catSegments(a.byCategory, metric),
    valueText: `${metricText(a, metric)} · ${fmtInt(a.flows)} flows`,
  }));
  return `<section id="by-service-area"><h2>Microsoft 365 traffic by service area</h2>${legend(['Optimize', 'Allow', 'Default'])}
${barRows(rows, { width: WIDTH - 40, label: `Microsoft 365 ${metric} by service area and category`, labelWidth: 340 })}</section>`;
}

function siteSection(s: Summary, metric: Metric): string {
  const hasSites = s.inputs.some((i) => i.fields.site);
  const sites = s.sites.slice(0, MAX_SITES);
  const rows: BarRow[] = sites.map((site) => {
    const local = { flows: site.byCategory.Optimize.flows + site.byCategory.Allow.flows, bytes: site.byCategory.Optimize.bytes + site.byCategory.Allow.bytes };
    const share = counts(site, metric) > 0 ? counts(local, metric) / counts(site, metric) : 0;
    return {
      label: site.site === '' ? (hasSites ? '(no site)' : 'all traffic') : site.site,
      segments: catSegments(site.byCategory, metric),
      valueText: `${metricText(site, metric)} · ${fmtPct(share)} local`,
    };
  });
  const areas = s.byServiceArea.map((a) => a.serviceArea);
  const areaRows = sites.map((site) => [
    esc(site.site === '' ? (hasSites ? '(no site)' : 'all traffic') : site.site),
    ...areas.map((area) => {
      const a = site.byServiceArea.find((x) => x.serviceArea === area);
      return a ? `${fmtInt(a.flows)} / ${fmtBytes(a.bytes)}` : '–';
    }),
  ]);
  const more = s.sites.length > MAX_SITES ? `<p class="note">The ${MAX_SITES} largest of ${fmtInt(s.sites.length)} sites are shown; summary.json has them all.</p>` : '';
  const overflow = s.sitesTruncated ? `<p class="note">Sites beyond the table size are counted together as “${OTHER_SITES}”.</p>` : '';
  const noSite = hasSites ? '' : '<p class="note">The logs name no site (map one with <code>--map COLUMN=site</code>): all traffic is shown as one.</p>';
  return `<section id="by-site"><h2>Per site</h2>${noSite}${legend()}
${barRows(rows, { width: WIDTH - 40, label: `${metric} per site by category`, labelWidth: 200 })}${more}${overflow}
<h3>Microsoft 365 service areas per site (flows / bytes)</h3>
${areas.length > 0 ? table(['Site', ...areas], areaRows, 'num') : '<p class="empty">No Microsoft 365 traffic.</p>'}</section>`;
}

function localSection(s: Summary, metric: Metric): string {
  const share = metric === 'bytes' ? s.localBreakout.shareOfBytes : s.localBreakout.shareOfFlows;
  const segs = catSegments(s.byCategory, metric);
  const p = s.optimizePath;
  let proxy: string;
  if (!p.known) {
    proxy = `<p class="note">The logs do not say which path a flow took. Map a column such as <code>path</code> or <code>via</code> with <code>--map COLUMN=path</code> (values like <code>direct</code>, <code>proxy</code>, <code>vpn</code>) to see Optimize traffic that goes through a proxy or VPN.</p>`;
  } else {
    const rows: BarRow[] = p.byPath.map((x) => ({
      label: x.path,
      note: x.direct ? 'direct' : 'through a proxy, VPN or tunnel',
      segments: [{ label: x.direct ? 'direct' : 'proxy/VPN', value: counts(x, metric), color: x.direct ? DIRECT_COLOR : PROXY_COLOR, text: both(x) }],
      valueText: `${metricText(x, metric)} · ${x.direct ? 'direct' : 'proxy/VPN'}`,
    }));
    if (p.unknown.flows > 0) {
      rows.push({
        label: '(not stated)',
        segments: [{ label: 'not stated', value: counts(p.unknown, metric), color: CATEGORY_COLORS.none, text: both(p.unknown) }],
        valueText: metricText(p.unknown, metric),
      });
    }
    proxy = `<div class="callout ${p.viaProxy.flows > 0 ? 'bad' : 'good'}" id="optimize-via-proxy"><strong>${fmtPct(p.shareViaProxy)}</strong> of Optimize traffic (${esc(
      both(p.viaProxy),
    )}) goes through a proxy, VPN or tunnel today. Optimize traffic should leave locally, bypassing proxies and TLS inspection.</div>
${barRows(rows, { width: WIDTH - 40, label: `Optimize ${metric} by path`, labelWidth: 200 })}`;
  }
  return `<section id="local-breakout"><h2>Local breakout</h2><div class="split">${donut(segs, {
    size: 220,
    label: `Share of ${metric} that could leave locally`,
    center: fmtPct(share),
    sub: 'could leave locally',
  })}<div><p>Optimize and Allow traffic can leave the site directly instead of through a central proxy or VPN: <strong>${esc(both(s.localBreakout))}</strong>, ${fmtPct(
    s.localBreakout.shareOfBytes,
  )} of bytes and ${fmtPct(s.localBreakout.shareOfFlows)} of flows.</p>${legend()}</div></div>
<h3>Optimize traffic by path</h3>${proxy}</section>`;
}

function inputsLine(s: Summary): string {
  return s.inputs
    .map(
      (i) =>
        `<li><code>${esc(i.name)}</code>: ${esc(i.format)}${i.gzip ? ', gzip' : ''}, ${fmtInt(i.records)} records, ${fmtInt(i.badLines)} bad lines${i.skipped > 0 ? `, ${fmtInt(i.skipped)} lines without a flow` : ''}${
          i.error ? ` <strong class="warn">stopped early: ${esc(i.error)}</strong>` : ''
        }</li>`,
    )
    .join('');
}

const CSS = `
:root{color-scheme:light}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa;margin:0}
main{max-width:${WIDTH}px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 8px}
section{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:18px 20px;margin:16px 0}
.meta{color:#59636e;font-size:13px;margin:0}.meta li{margin:2px 0}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin:16px 0}
.tile{background:#fff;border:1px solid #d1d9e0;border-radius:8px;padding:14px}
.tile-label{font-size:13px;color:#59636e}.tile-value{font-size:28px;font-weight:600;margin:4px 0}.tile-note{font-size:12px;color:#59636e}
.legend{display:flex;gap:16px;font-size:13px;margin:0 0 10px}.legend i{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}
.bar-label{font-size:13px;color:#59636e;margin:8px 0 4px}
table{border-collapse:collapse;width:100%;font-size:13px;margin-top:12px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eaeef2;vertical-align:top}
table.num td:not(:first-child){font-variant-numeric:tabular-nums}
.badge{color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;white-space:nowrap}
.note{font-size:13px;color:#59636e}.empty{color:#59636e;font-style:italic}.sub{font-weight:400;color:#59636e;font-size:13px}
.split{display:flex;gap:24px;align-items:center}
.callout{border-radius:6px;padding:10px 14px;margin:8px 0 12px;font-size:14px}.callout.bad{background:#ffebe9;border:1px solid #ff8182}.callout.good{background:#dafbe1;border:1px solid #4ac26b}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}code.line{white-space:pre-wrap;word-break:break-all}
.warn{color:#cf222e}
details{margin-top:14px}summary{cursor:pointer;font-weight:600;font-size:15px}
`;

export function renderReport(s: Summary): string {
  const metric: Metric = s.rankedBy;
  const t = total(s);
  const m365 = { flows: t.flows - s.byCategory.none.flows, bytes: t.bytes - s.byCategory.none.bytes };
  const m365Share = metric === 'bytes' ? (t.bytes > 0 ? m365.bytes / t.bytes : 0) : t.flows > 0 ? m365.flows / t.flows : 0;
  const localShare = metric === 'bytes' ? s.localBreakout.shareOfBytes : s.localBreakout.shareOfFlows;
  const p = s.optimizePath;
  const tiles = [
    tile('Connections analysed', fmtInt(s.flows), `${fmtBytes(t.bytes)} in ${fmtInt(s.inputs.length)} log${s.inputs.length === 1 ? '' : 's'}`, 'tile-flows'),
    tile('Microsoft 365', fmtPct(m365Share), `of ${metric}: ${both(m365)}`, 'tile-m365'),
    tile('Could leave locally', fmtPct(localShare), `of ${metric} is Optimize or Allow`, 'tile-local'),
    p.known
      ? tile('Optimize via proxy/VPN', fmtPct(p.shareViaProxy), `${both(p.viaProxy)}`, 'tile-proxy')
      : tile('Optimize via proxy/VPN', 'not in logs', 'map a path column to see it', 'tile-proxy'),
  ].join('');
  const data = s.data;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Microsoft 365 traffic assessment</title><style>${CSS}</style></head>
<body><main>
<h1>Microsoft 365 traffic assessment</h1>
<ul class="meta"><li>Generated ${esc(s.generatedAt)} by <code>m365fc analyze</code>, ${fmtInt(s.lines)} lines, ${fmtInt(s.records)} records, ${fmtInt(s.flows)} connections, ${fmtInt(s.badLines)} bad lines.</li>
<li>Endpoint data: ${esc(data.instance)} version <code>${esc(data.version)}</code>${data.fetchedAt ? `, fetched ${esc(data.fetchedAt)}` : ''}, ${fmtInt(data.sets)} sets, ${esc(
    data.precedence,
  )} precedence (${esc(data.origin)}).</li>${inputsLine(s)}</ul>
<div class="tiles">${tiles}</div>
${internalSection(s)}
${categorySection(s)}
${localSection(s, metric)}
${expressRouteSection(s, metric)}
${serviceAreaSection(s, metric)}
${siteSection(s, metric)}
${topHostsSection(s, metric)}
${otherSection(s, metric)}
${setsSection(s)}
${badSection(s)}
</main></body></html>
`;
}
