import { createHash } from 'node:crypto';
import { SCRIPT } from './page-script.gen.js';

/**
 * The status page itself: its style, its HTML and the Content-Security-Policy that pins both. The
 * script is browser/page.ts (type-checked with the DOM library), turned into page-script.gen.ts
 * by scripts/gen-status-page.mjs. Plain HTML, CSS and one inline script; no framework.
 */

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

export const HTML = `<!doctype html>
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
export const CSP = [
  "default-src 'none'",
  `script-src 'sha256-${sha256(SCRIPT)}'`,
  `style-src 'sha256-${sha256(CSS)}'`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');
