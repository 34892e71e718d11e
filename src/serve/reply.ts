import type { FastifyReply } from 'fastify';
import type { ErrorCode } from '../core/errors.js';
import { DEFAULT_LIMITS } from './context.js';
import { errorBody, type ErrorBody } from './error-body.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** Answers with the coded error body; adds the headers its status calls for. */
export function sendErrorBody(reply: FastifyReply, body: ErrorBody, retryAfterSeconds = DEFAULT_LIMITS.retryAfterSeconds): FastifyReply {
  if (body.statusCode === 401) reply.header('www-authenticate', 'Bearer');
  if (body.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retryAfterSeconds));
  return reply.code(body.statusCode).header('content-type', JSON_TYPE).send(JSON.stringify(body));
}

export function sendError(reply: FastifyReply, code: ErrorCode, message?: string): FastifyReply {
  return sendErrorBody(reply, errorBody(code, message));
}

/** Sends JSON already serialized (text or UTF-8 bytes): no serializer runs. */
export function sendJson(reply: FastifyReply, json: string | Buffer): FastifyReply {
  return reply.header('content-type', JSON_TYPE).send(json);
}
