import type { PacRule } from '../../src/export/pac.js';

/**
 * The baseline PAC: one shExpMatch per pattern, most specific first, first match wins; the same
 * rules (and so the same decisions) as the generated PAC. This is how hand-written and most
 * generated Microsoft 365 PAC files look.
 */
export function renderNaivePac(rules: readonly PacRule[], proxy: string): string {
  const lines = rules.map((r) => `  if (shExpMatch(host, ${JSON.stringify(r.pattern)})) return ${r.direct ? '"DIRECT"' : 'proxy'};`);
  return `var proxy = ${JSON.stringify(proxy)};\nfunction FindProxyForURL(url, host) {\n  host = host.toLowerCase();\n${lines.join('\n')}\n  return proxy;\n}\n`;
}
