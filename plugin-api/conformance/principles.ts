import type { PrincipleTag } from './types.js';

/** Microsoft's network connectivity principles for Microsoft 365, as the report names them. */
export const PRINCIPLES: Readonly<Record<PrincipleTag, string>> = {
  'identify-and-differentiate': 'Identify and differentiate Microsoft 365 traffic',
  'egress-locally': 'Egress network connections locally',
  'avoid-hairpins': 'Avoid network hairpins',
  'bypass-proxies-and-tls-inspection': 'Bypass proxies and TLS inspection for Optimize traffic',
};

export const PRINCIPLES_URL = 'https://learn.microsoft.com/microsoft-365/enterprise/microsoft-365-network-connectivity-principles';

export const FRAMING =
  'Self-assessment evidence produced by the m365-flow-classifier conformance kit, mapped to Microsoft\'s ' +
  'network connectivity principles for Microsoft 365. This is not a Microsoft certification and is not ' +
  'issued, reviewed or endorsed by Microsoft.';
