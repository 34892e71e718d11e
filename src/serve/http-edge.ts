import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../core/errors.js';
import { errorBody } from './error-body.js';
import { JSON_TYPE } from './reply.js';

/**
 * The Node HTTP server under fastify, built by us (fastify's `serverFactory`) so that the
 * answers Node gives on its own carry our coded body too:
 * - a request whose headers and body have not all arrived `bodyTimeoutMs` after its first byte
 *   is cut with 408 M365FC_ERR_SERVE_REQUEST_TIMEOUT (Node's requestTimeout; the answer is
 *   written by the app's clientErrorHandler). fastify leaves requestTimeout at 0 (never), and a
 *   client sending 1 byte a second held its connection for good (issue 16).
 * - an HTTP/1.1 request without Host: 400 M365FC_ERR_SERVE_BAD_REQUEST (Node's own is empty);
 * - `Expect:` other than 100-continue: 417 M365FC_ERR_SERVE_EXPECTATION_FAILED (Node's is empty).
 */

export interface EdgeOptions {
  readonly bodyTimeoutMs: number;
  /** Counts each coded refusal (the metrics' errors by code). */
  readonly countError: (code: ErrorCode) => void;
}

/** Node checks request deadlines on an interval: a quarter of the limit keeps the overshoot
 * small, and walking the connections still mid-request once a second costs nothing. */
export function checkingIntervalMs(bodyTimeoutMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(bodyTimeoutMs / 4)));
}

/** The coded answer as raw HTTP/1.1 bytes, for sockets no ServerResponse owns. */
export function rawErrorResponse(code: ErrorCode, message?: string, headers: Readonly<Record<string, string>> = {}): string {
  const body = errorBody(code, message);
  const text = JSON.stringify(body);
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return (
    `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
    `Content-Type: ${JSON_TYPE}\r\n${extra}Connection: close\r\n\r\n${text}`
  );
}

/** Writes the coded answer on a socket and closes it. */
export function refuseSocket(socket: Duplex, code: ErrorCode, message?: string, headers?: Readonly<Record<string, string>>): void {
  if (socket.writable) socket.end(rawErrorResponse(code, message, headers));
  socket.once('finish', () => socket.destroy());
  // A peer that never reads must not keep the socket: cut it after a second either way.
  setTimeout(() => socket.destroy(), 1000).unref();
}

function refuse(res: ServerResponse, code: ErrorCode, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  res.writeHead(errorBody(code).statusCode, {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  res.end(body);
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** fastify's `serverFactory`: the HTTP/1.1 server with the deadlines and coded answers above. */
export function edgeServerFactory(o: EdgeOptions): (handler: Handler, opts: { keepAliveTimeout?: number }) => Server {
  return (handler, opts) => {
    const server = createServer(
      {
        requestTimeout: o.bodyTimeoutMs,
        // Node requires headersTimeout <= requestTimeout; 60 s is its default.
        headersTimeout: Math.min(60_000, o.bodyTimeoutMs),
        connectionsCheckingInterval: checkingIntervalMs(o.bodyTimeoutMs),
        // Checked below, so that the refusal carries a code.
        requireHostHeader: false,
      },
      (req, res) => {
        if (req.headers.host === undefined && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) {
          o.countError('M365FC_ERR_SERVE_BAD_REQUEST');
          refuse(res, 'M365FC_ERR_SERVE_BAD_REQUEST', 'An HTTP/1.1 request needs a Host header');
          return;
        }
        handler(req, res);
      },
    );
    // fastify's own default (72 s): longer than the 60 s idle timeout of common load balancers.
    server.keepAliveTimeout = opts.keepAliveTimeout ?? 72_000;
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      o.countError('M365FC_ERR_SERVE_EXPECTATION_FAILED');
      refuse(res, 'M365FC_ERR_SERVE_EXPECTATION_FAILED', `Expect: ${String(req.headers.expect).slice(0, 64)} is not supported; only 100-continue is`);
    });
    return server;
  };
}
