import { M365Error } from '../core/errors.js';

/**
 * Tenant positions, as the web service's `TenantName` parameter fills them: the `*` that stands for
 * the tenant in SharePoint's first label (`*.sharepoint.com`, `*-my.sharepoint.com`,
 * `*-files.sharepoint.com`, `*-myfiles.sharepoint.com`) and in `autodiscover.*.onmicrosoft.com`.
 */
const TENANT_POSITIONS: ReadonlyArray<RegExp> = [/^\*(?=(?:-[a-z0-9]+)?\.sharepoint\.com$)/, /^autodiscover\.\*\.onmicrosoft\.com$/];

const TENANT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkTenantName(name: string): string {
  const t = name.trim().toLowerCase();
  if (!TENANT_NAME.test(t)) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `Tenant name "${name}" is not a DNS label`, { field: 'tenantName', value: name });
  }
  return t;
}

/** The pattern with its tenant position filled, or the pattern unchanged. */
export function applyTenant(pattern: string, tenant: string | undefined): string {
  if (tenant === undefined) return pattern;
  if (TENANT_POSITIONS[0]!.test(pattern)) return tenant + pattern.slice(1);
  if (TENANT_POSITIONS[1]!.test(pattern)) return `autodiscover.${tenant}.onmicrosoft.com`;
  return pattern;
}
