/** The errors of the plugin host (plugin-registry.ts). Their codes are entries of the project's error registry. */

/** The codes the plugin host throws. */
export type PluginErrorCode =
  | 'M365FC_ERR_PLUGIN_INVALID'
  | 'M365FC_ERR_PLUGIN_API_VERSION'
  | 'M365FC_ERR_PLUGIN_DUPLICATE'
  | 'M365FC_ERR_PLUGIN_LOAD'
  | 'M365FC_ERR_EXPORT_UNKNOWN'
  | 'M365FC_ERR_EXPORT_BAD_OPTION'
  | 'M365FC_ERR_EXPORT_RENDER';

/** HTTP status of each code where it can reach a client (same values as the registry). */
export const PLUGIN_ERROR_STATUS: Readonly<Record<PluginErrorCode, number>> = {
  M365FC_ERR_PLUGIN_INVALID: 500,
  M365FC_ERR_PLUGIN_API_VERSION: 500,
  M365FC_ERR_PLUGIN_DUPLICATE: 500,
  M365FC_ERR_PLUGIN_LOAD: 500,
  M365FC_ERR_EXPORT_UNKNOWN: 404,
  M365FC_ERR_EXPORT_BAD_OPTION: 400,
  M365FC_ERR_EXPORT_RENDER: 500,
};

/** Match on `code`, never on the message. */
export class PluginError extends Error {
  readonly code: PluginErrorCode;
  readonly statusCode: number;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: PluginErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PluginError';
    this.code = code;
    this.statusCode = PLUGIN_ERROR_STATUS[code];
    this.details = details;
  }
}

export function isPluginError(err: unknown): err is PluginError {
  return err instanceof PluginError;
}
