/**
 * The shape of a command option: one flag, one environment variable, one config-file key.
 * `serve` parses them (src/serve/config.ts); other stages declare their own (src/follow/options.ts).
 */

export type OptionValue = string | number | boolean | null;

export interface OptionSpec {
  /** The config-file key, camelCase; also the key in `ServeConfig.extra`. */
  readonly key: string;
  /** The command-line flag without dashes, kebab-case. */
  readonly flag: string;
  readonly env: string;
  readonly kind: 'string' | 'integer' | 'boolean' | 'enum';
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly default: OptionValue;
  readonly help: string;
}
