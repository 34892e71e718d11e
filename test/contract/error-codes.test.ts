import { describe, expect, it } from 'vitest';
import { ERRORS, ERROR_CODES, HTTP_ERROR_CODES } from '../../src/errors.js';
import { errorBody } from '../../src/serve/error-body.js';
import { errorCodeEnum, expectSchema } from '../support/openapi.js';

/** One registry: src/errors.ts and openapi.yaml's ErrorCode enum list exactly the same codes. */
describe('error registry vs openapi.yaml', () => {
  it('ErrorCode enum equals the codes that reach HTTP clients, in the same order, without duplicates', () => {
    const spec = errorCodeEnum();
    expect(new Set(spec).size).toBe(spec.length);
    expect(spec).toEqual(HTTP_ERROR_CODES);
  });

  it('CLI-only codes are the analyze readers\' (they never reach HTTP clients)', () => {
    expect(ERROR_CODES.filter((c) => !HTTP_ERROR_CODES.includes(c)).every((c) => c.startsWith('M365FC_ERR_ANALYZE_'))).toBe(true);
  });

  it('every code has a 4xx or 5xx status; every HTTP code can be answered as a valid Error body', () => {
    for (const code of ERROR_CODES) {
      const status = ERRORS[code].status;
      expect(status >= 400 && status <= 599, code).toBe(true);
    }
    for (const code of HTTP_ERROR_CODES) {
      const status = ERRORS[code].status;
      expect(status >= 400 && status <= 599, code).toBe(true);
      expectSchema('Error', errorBody(code));
    }
  });
});
