/**
 * The version of this plugin API (semver). A plugin declares the range it needs, e.g. `^1.0.0`.
 * 1.1.0: `render` may return bytes (a binary file such as a MaxMind DB); optional `warnings`.
 */
export const API_VERSION = '1.1.0';
