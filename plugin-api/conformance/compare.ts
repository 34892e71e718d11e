import type { AnswerLike } from './types.js';

/** The answer fields that must equal the reference's (the data version is checked apart). */
export const COMPARED_FIELDS = ['m365', 'category', 'serviceArea', 'endpointSetId', 'expressRoute', 'required', 'matchedBy', 'matched', 'action'] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function errorCodeOf(v: unknown): string | null {
  if (!isObject(v) || !isObject(v['error'])) return null;
  const code = v['error']['code'];
  return typeof code === 'string' ? code : null;
}

/** The fields of `actual` that differ from the reference's answer; empty when equal. */
export function differingFields(expected: AnswerLike, actual: unknown): string[] {
  const expectedCode = errorCodeOf(expected);
  if (expectedCode !== null) return errorCodeOf(actual) === expectedCode ? [] : ['error'];
  if (!isObject(actual)) return ['answer'];
  if (errorCodeOf(actual) !== null) return ['error'];
  const e = expected as unknown as Record<string, unknown>;
  return COMPARED_FIELDS.filter((f) => actual[f] !== e[f]);
}

/** The compared fields only, for a readable mismatch. */
export function essentials(v: unknown): unknown {
  if (!isObject(v) || errorCodeOf(v) !== null) return v;
  const out: Record<string, unknown> = {};
  for (const f of COMPARED_FIELDS) out[f] = v[f];
  return out;
}
