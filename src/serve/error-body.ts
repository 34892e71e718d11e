import { STATUS_CODES } from 'node:http';
import { ERRORS, isM365Error, type ErrorCode } from '../core/errors.js';

/** The one shape of every error the service answers: `{ statusCode, code, error, message }`. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCode;
  error: string;
  message: string;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

export function errorBody(code: ErrorCode, message?: string): ErrorBody {
  const statusCode = ERRORS[code].status;
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message: message ?? ERRORS[code].message };
}

interface FastifyLikeError {
  code?: unknown;
  statusCode?: unknown;
  message?: unknown;
  validation?: ReadonlyArray<{ instancePath?: string; keyword?: string }>;
  validationContext?: string;
}

/** Fastify's own client-error codes and the registry code each one becomes. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'M365FC_ERR_SERVE_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'M365FC_ERR_SERVE_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'M365FC_ERR_SERVE_BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'M365FC_ERR_SERVE_BAD_JSON',
  FST_ERR_BAD_URL: 'M365FC_ERR_SERVE_BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'M365FC_ERR_SERVE_NOT_FOUND',
  // A path parameter over 100 characters: no exporter (the only parameter) has such a name.
  FST_ERR_MAX_PARAM_LENGTH: 'M365FC_ERR_SERVE_NOT_FOUND',
};

/** Any status fastify or a plugin may set, mapped to a registry code when no better one is known. */
const BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  401: 'M365FC_ERR_SERVE_UNAUTHORIZED',
  403: 'M365FC_ERR_SERVE_FORBIDDEN',
  404: 'M365FC_ERR_SERVE_NOT_FOUND',
  413: 'M365FC_ERR_SERVE_BODY_TOO_LARGE',
  414: 'M365FC_ERR_SERVE_QUERY_TOO_LONG',
  415: 'M365FC_ERR_SERVE_UNSUPPORTED_MEDIA_TYPE',
  431: 'M365FC_ERR_SERVE_HEADERS_TOO_LARGE',
  503: 'M365FC_ERR_SERVE_OVERLOADED',
};

/**
 * Maps whatever reached the error handler to a coded body. Client input never becomes a 500:
 * any 4xx without a known code becomes M365FC_ERR_SERVE_BAD_REQUEST.
 */
export function toErrorBody(err: unknown): ErrorBody {
  if (isM365Error(err)) return errorBody(err.code, err.message);
  const e = (typeof err === 'object' && err !== null ? err : {}) as FastifyLikeError;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : undefined;
  if (Array.isArray(e.validation)) {
    if (e.validationContext === 'querystring') return errorBody('M365FC_ERR_SERVE_BAD_QUERY', message);
    if (e.validation.some((v) => v.instancePath === '/flows' && v.keyword === 'maxItems')) {
      return errorBody('M365FC_ERR_SERVE_TOO_MANY_FLOWS');
    }
    return errorBody('M365FC_ERR_SERVE_BAD_REQUEST', message);
  }
  if (typeof e.code === 'string') {
    if (isErrorCode(e.code)) return errorBody(e.code, message);
    const mapped = FASTIFY_CODES[e.code];
    if (mapped !== undefined) return errorBody(mapped);
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  const byStatus = BY_STATUS[status];
  if (byStatus !== undefined) return errorBody(byStatus);
  if (status >= 400 && status < 500) return errorBody('M365FC_ERR_SERVE_BAD_REQUEST', message);
  return errorBody('M365FC_ERR_SERVE_INTERNAL');
}
