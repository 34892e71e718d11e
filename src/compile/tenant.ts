import { M365Error } from '../core/errors.js';

/**
 * Tenant positions, as the web service's `TenantName` parameter fills them: the `*` that stands for
 * the tenant in SharePoint's first label (`*.sharepoint.com`, `*-my.sharepoint.com`,
 * `*-files.sharepoint.com`, `*-myfiles.sharepoint.com`) and in `autodiscover.*.onmicrosoft.com`.
 * `*.sharepoint.com` stands for two hosts: Microsoft's tables for set 31 list both
 * `<tenant>.sharepoint.com` and `<tenant>-my.sharepoint.com` (OneDrive), so filling it keeps both.
 */
const SHAREPOINT_TENANT = /^\*(?=(?:-[a-z0-9]+)?\.sharepoint\.com$)/;
const AUTODISCOVER_TENANT = /^autodiscover\.\*\.onmicrosoft\.com$/;

const TENANT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkTenantName(name: string): string {
  const t = name.trim().toLowerCase();
  if (!TENANT_NAME.test(t)) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `Tenant name "${name}" is not a DNS label`, { field: 'tenantName', value: name });
  }
  return t;
}

/** The patterns a pattern stands for with its tenant position filled: itself when it has none. */
export function tenantPatterns(pattern: string, tenant: string | undefined): string[] {
  if (tenant === undefined) return [pattern];
  if (pattern === '*.sharepoint.com') return [`${tenant}.sharepoint.com`, `${tenant}-my.sharepoint.com`];
  if (SHAREPOINT_TENANT.test(pattern)) return [tenant + pattern.slice(1)];
  if (AUTODISCOVER_TENANT.test(pattern)) return [`autodiscover.${tenant}.onmicrosoft.com`];
  return [pattern];
}
