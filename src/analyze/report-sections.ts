import { ERRORS, type ErrorCode } from '../core/errors.js';
import { READER_REASON_TEXT } from './bad-line.js';
import { fmtBytes, fmtInt, fmtPct } from './format-units.js';
import { badge, both, CATEGORY_COLORS, legend, metricText, counts, plural, table, WIDTH, type Metric } from './report-parts.js';
import type { Summary } from './summary.js';
import { barRows, esc } from './svg-charts.js';

/** The lower sections of report.html: top destinations, endpoint sets, lines not counted. */

export function topHostsSection(s: Summary, metric: Metric): string {
  const approx = s.topHostsExact ? '' : '<p class="note">Many distinct hosts: counts marked ≈ may be low by up to the error shown in summary.json.</p>';
  const hosts =
    s.topHosts.length === 0
      ? '<p class="empty">No Microsoft 365 flow was decided by host name.</p>'
      : barRows(
          s.topHosts.map((h) => ({
            label: h.host,
            note: `${h.category}, ${h.serviceArea}, set ${h.endpointSetId}, ${h.matched}`,
            segments: [{ label: h.category, value: counts(h, metric), color: CATEGORY_COLORS[h.category], text: both(h) }],
            valueText: `${h.error > 0 ? '≈' : ''}${metricText(h, metric)} · ${h.serviceArea}`,
          })),
          { width: WIDTH - 40, label: `Top Microsoft 365 hosts by ${metric}`, labelWidth: 300 },
        );
  const prefixes =
    s.topPrefixes.length === 0
      ? '<p class="empty">No Microsoft 365 flow was decided by address alone.</p>'
      : barRows(
          s.topPrefixes.map((p) => ({
            label: p.prefix,
            note: `${p.category}, ${p.serviceArea}, set ${p.endpointSetId}`,
            segments: [{ label: p.category, value: counts(p, metric), color: CATEGORY_COLORS[p.category], text: both(p) }],
            valueText: `${metricText(p, metric)} · ${p.serviceArea}`,
          })),
          { width: WIDTH - 40, label: `Top Microsoft 365 prefixes by ${metric}`, labelWidth: 300 },
        );
  return `<section id="top-m365"><h2>Top Microsoft 365 destinations</h2>${legend(['Optimize', 'Allow', 'Default'])}<h3>Hosts</h3>${hosts}${approx}
<h3>Prefixes <span class="sub">(flows decided by address, without a matching host)</span></h3>${prefixes}</section>`;
}

export function otherSection(s: Summary, metric: Metric): string {
  const body =
    s.topOther.length === 0
      ? '<p class="empty">Every flow was Microsoft 365.</p>'
      : barRows(
          s.topOther.map((o) => ({
            label: o.destination,
            note: o.kind,
            segments: [{ label: 'not Microsoft 365', value: counts(o, metric), color: CATEGORY_COLORS.none, text: both(o) }],
            valueText: `${o.error > 0 ? '≈' : ''}${metricText(o, metric)} · ${fmtInt(o.flows)} flows`,
          })),
          { width: WIDTH - 40, label: `Largest destinations that are not Microsoft 365, by ${metric}`, labelWidth: 300 },
        );
  const approx = s.topOtherExact ? '' : '<p class="note">Many distinct destinations: counts marked ≈ may be low (bounded table; see summary.json).</p>';
  return `<section id="top-other"><h2>Largest destinations that are not Microsoft 365</h2>${body}${approx}</section>`;
}

export function setsSection(s: Summary): string {
  const hasHosts = s.inputs.some((i) => i.fields.host);
  const seenRows = s.endpointSets.seen.map((x) => [String(x.id), esc(x.serviceArea), badge(x.category), x.required ? 'yes' : 'no', fmtInt(x.flows), fmtBytes(x.bytes)]);
  const unseen = s.endpointSets.requiredNotSeen.map((x) => [
    String(x.id),
    esc(x.serviceArea),
    badge(x.category),
    `${plural(x.urls, 'host')}, ${plural(x.ips, 'prefix', 'prefixes')}`,
    x.examples.map((e) => `<code>${esc(e)}</code>`).join(' '),
  ]);
  const hostNote = hasHosts
    ? ''
    : '<p class="note">The logs carry no host names (SNI): sets that list only host names cannot be seen. Map a host column with <code>--map COLUMN=host</code>.</p>';
  return `<section id="endpoint-sets"><h2>Endpoint sets</h2>
<p><strong>${fmtInt(s.endpointSets.seen.length)}</strong> of ${fmtInt(s.data.sets)} endpoint sets were seen; <strong>${fmtInt(
    s.endpointSets.requiredNotSeen.length,
  )}</strong> required sets were never seen.</p>${hostNote}
<h3 id="required-not-seen">Required sets never seen</h3>${
    unseen.length === 0
      ? '<p class="empty">Every required set was seen.</p>'
      : `<p class="note">Users need these; no flow reached them. They may be blocked, not in use, or outside what the logs capture.</p>${table(['Set', 'Service area', 'Category', 'Lists', 'Examples'], unseen)}`
  }
${
    seenRows.length === 0
      ? '<h3>Sets seen</h3><p class="empty">None.</p>'
      : `<details id="sets-seen"><summary>Sets seen (${fmtInt(seenRows.length)})</summary>${table(['Set', 'Service area', 'Category', 'Required', 'Flows', 'Bytes'], seenRows, 'num')}</details>`
  }</section>`;
}

export function badSection(s: Summary): string {
  if (s.badLines === 0) return `<section id="bad-lines"><h2>Lines not counted</h2><p class="empty">None: every line was read.</p></section>`;
  const reasons = s.badLineReasons.map((r) => [`<code>${esc(r.reason)}</code>`, esc(reasonText(r.reason)), fmtInt(r.count)]);
  const samples = s.badLineSamples.map((b) => [esc(b.file), String(b.line), `<code>${esc(b.reason)}</code>`, `<code class="line">${esc(b.text)}</code>`]);
  return `<section id="bad-lines"><h2>Lines not counted</h2><p><strong>${fmtInt(s.badLines)}</strong> lines could not be used (${fmtPct(
    s.badLines / Math.max(1, s.records + s.badLines),
  )} of records).</p>
${table(['Reason', '', 'Lines'], reasons)}<h3>First ${fmtInt(s.badLineSamples.length)} of them</h3>${table(['File', 'Line', 'Reason', 'Text'], samples, 'samples')}</section>`;
}

/** The reader's own wording, or the engine's message for its flow error codes. */
function reasonText(code: string): string {
  return READER_REASON_TEXT[code] ?? (isErrorCode(code) ? ERRORS[code].message : '');
}

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}


/** "Is ExpressRoute right for us": traffic to sets Microsoft marks routable over ExpressRoute, beside local breakout. */
export function expressRouteSection(s: Summary, metric: Metric): string {
  const er = s.expressRoute;
  const share = metric === 'bytes' ? er.shareOfBytes : er.shareOfFlows;
  const local = metric === 'bytes' ? s.localBreakout.shareOfBytes : s.localBreakout.shareOfFlows;
  const cats = (['Optimize', 'Allow', 'Default'] as const).map((k) => [badge(k), fmtInt(er.byCategory[k].flows), fmtBytes(er.byCategory[k].bytes)]);
  const sites = er.bySite.slice(0, 30).map((x) => [esc(x.site === '' ? 'all traffic' : x.site), fmtInt(x.flows), fmtBytes(x.bytes), fmtPct(metric === 'bytes' ? x.shareOfBytes : x.shareOfFlows)]);
  return `<section id="express-route"><h2>ExpressRoute</h2>
<p><strong>${fmtPct(share)}</strong> of ${metric} (${esc(both(er))}) went to endpoint sets marked <code>expressRoute: true</code>, which can be routed over ExpressRoute for Microsoft 365; <strong>${fmtPct(
    local,
  )}</strong> could leave locally (Optimize and Allow). Microsoft recommends local breakout first; ExpressRoute suits traffic that must stay on a private circuit.</p>
${table(['Category', 'Flows', 'Bytes'], cats, 'num')}
<h3>Per site</h3>${table(['Site', 'Flows', 'Bytes', `Share of the site's ${metric}`], sites, 'num')}</section>`;
}

/** A warning when destinations are internal addresses: the internal networks are likely not all named. */
export function internalSection(s: Summary): string {
  const d = s.internalDestinations;
  if (d.flows === 0) return '';
  return `<div class="callout bad" id="internal-destinations"><strong>${fmtInt(d.flows)} flows (${fmtBytes(d.bytes)})</strong> have an internal address as destination (${d.examples
    .map((e) => `<code>${esc(e)}</code>`)
    .join(', ')}): both ends are inside ${esc(s.internal.join(', '))}. If some of your networks are missing, name them all with <code>--internal CIDR,...</code>.</div>`;
}
