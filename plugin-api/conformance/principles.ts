import type { PrincipleSource, PrincipleTag } from './types.js';

/**
 * The principle tags as the report names them: Microsoft's network connectivity principles for
 * Microsoft 365, and `operations`, the kit's own. No check tags `avoid-hairpins`: whether traffic
 * hairpins is a property of the network path, which a classifier's answers cannot show; the
 * report lists it with 0 checks rather than borrow it.
 */
export const PRINCIPLES: Readonly<Record<PrincipleTag, string>> = {
  'identify-and-differentiate': 'Identify and differentiate Microsoft 365 traffic',
  'egress-locally': 'Egress network connections locally',
  'avoid-hairpins': 'Avoid network hairpins',
  'bypass-proxies-and-tls-inspection': 'Bypass proxies and TLS inspection for Optimize traffic',
  operations: 'Operating the service',
};

export const PRINCIPLE_SOURCES: Readonly<Record<PrincipleTag, PrincipleSource>> = {
  'identify-and-differentiate': 'microsoft',
  'egress-locally': 'microsoft',
  'avoid-hairpins': 'microsoft',
  'bypass-proxies-and-tls-inspection': 'microsoft',
  operations: 'm365fc',
};

/** How the reports name a source. */
export const SOURCE_TITLES: Readonly<Record<PrincipleSource, string>> = {
  microsoft: "Microsoft's principle",
  m365fc: "the kit's own tag, not a Microsoft principle",
};

export const PRINCIPLES_URL = 'https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-network-connectivity-principles';

export const FRAMING =
  'Self-assessment evidence produced by the m365-flow-classifier conformance kit, mapped to Microsoft\'s ' +
  'network connectivity principles for Microsoft 365 where a check tests one, and to the kit\'s own ' +
  '"operations" tag where it tests how the service runs. This is not a Microsoft certification and is not ' +
  'issued, reviewed or endorsed by Microsoft.';
