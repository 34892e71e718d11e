import { describe, expect, it } from 'vitest';
import { ERRORS, ERROR_CODES } from '../../src/core/errors.js';
import { errorBody } from '../../src/serve/error-body.js';
import { errorCodeEnum, expectSchema } from '../support/openapi.js';

/** One registry: src/core/errors.ts (its HTTP codes) and openapi.yaml's ErrorCode enum list exactly the same codes. */
describe('error registry vs openapi.yaml', () => {
  it('ErrorCode enum equals ERROR_CODES, in the same order, without duplicates', () => {
    const spec = errorCodeEnum();
    expect(new Set(spec).size).toBe(spec.length);
    expect(spec).toEqual(ERROR_CODES);
  });

  it('every code can be answered as a valid Error body with a 4xx or 5xx status', () => {
    for (const code of ERROR_CODES) {
      const status = ERRORS[code].status;
      expect(status >= 400 && status <= 599, code).toBe(true);
      expectSchema('Error', errorBody(code));
    }
  });
});
