/** The version of this plugin API (semver). A plugin declares the range it needs, e.g. `^1.0.0`. */
export const API_VERSION = '1.0.0';
