/**
 * The typed client's errors. Every failure is an M365fcClientError whose `code` is the server's
 * (an `ErrorCode` of openapi.yaml) or, when no server answer exists, one of the client's own codes
 * below. plugin-api imports nothing from src/, so these are listed here; the registry
 * (src/core/errors.ts LOCAL_ERRORS) holds them too, checked equal by test/contract.
 */
import type { ErrorCode } from './types.js';

/** Codes of failures that carry no server answer. */
export const CLIENT_ONLY_ERROR_CODES = [
  /** The server could not be reached, or the connection broke. */
  'M365FC_ERR_CLIENT_NETWORK',
  /** No answer in `timeoutMs`. */
  'M365FC_ERR_CLIENT_TIMEOUT',
  /** The answer is not what openapi.yaml documents (not JSON, no code). */
  'M365FC_ERR_CLIENT_BAD_RESPONSE',
  /** The client or stream was closed, or a request was resent `maxResends` times without an answer. */
  'M365FC_ERR_CLIENT_CLOSED',
] as const;

export type ClientOnlyErrorCode = (typeof CLIENT_ONLY_ERROR_CODES)[number];

export type ClientErrorCode = ErrorCode | ClientOnlyErrorCode;

export class M365fcClientError extends Error {
  readonly code: ClientErrorCode;
  /** The HTTP status, or null when there was no HTTP answer (network, WebSocket). */
  readonly statusCode: number | null;

  constructor(code: ClientErrorCode, message: string, statusCode: number | null = null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'M365fcClientError';
    this.code = code;
    this.statusCode = statusCode;
  }
}

export function isM365fcClientError(err: unknown): err is M365fcClientError {
  return err instanceof M365fcClientError;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** An undici or socket failure as a client error: timeouts keep their own code. */
export function transportError(err: unknown): M365fcClientError {
  if (isM365fcClientError(err)) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return new M365fcClientError(typeof code === 'string' && TIMEOUT_CODES.has(code) ? 'M365FC_ERR_CLIENT_TIMEOUT' : 'M365FC_ERR_CLIENT_NETWORK', message, null, { cause: err });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
