/**
 * Why a log line was not counted. Engine flow errors keep the engine's own code
 * (M365FC_ERR_FLOW_*); the reasons below are the reader's own (registered in src/errors.ts as
 * CLI-only codes).
 */
export const BAD_CSV = 'M365FC_ERR_ANALYZE_BAD_CSV';
export const BAD_JSON = 'M365FC_ERR_ANALYZE_BAD_JSON';
export const SHORT_LINE = 'M365FC_ERR_ANALYZE_SHORT_LINE';
export const BAD_BYTES = 'M365FC_ERR_ANALYZE_BAD_BYTES';
export const BAD_TUPLE = 'M365FC_ERR_ANALYZE_BAD_TUPLE';
export const NO_TARGET = 'M365FC_ERR_FLOW_NO_TARGET';

export type ReaderReason = typeof BAD_CSV | typeof BAD_JSON | typeof SHORT_LINE | typeof BAD_BYTES | typeof BAD_TUPLE | typeof NO_TARGET;

/** Human wording of the reader's reasons, for the report. */
export const READER_REASON_TEXT: Readonly<Record<string, string>> = {
  [BAD_CSV]: 'CSV quoting is broken (unterminated quote or text after a closing quote)',
  [BAD_JSON]: 'not a JSON object',
  [SHORT_LINE]: 'fewer fields than the header names',
  [BAD_BYTES]: 'the bytes field is not a non-negative number',
  [BAD_TUPLE]: 'an Azure flow tuple does not have the documented fields',
};
