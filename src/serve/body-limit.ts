import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../core/errors.js';
import { errorBody } from './error-body.js';
import { JSON_TYPE, sendError } from './reply.js';

/**
 * A body over the limit gets a coded 413 that the client can read.
 *
 * Answering early and closing while the client still sends loses the answer: close() with
 * unread bytes in the receive buffer makes the kernel send a reset, and the client's stack
 * drops what it had not read yet (issue 10: 1 certification run in 3 ended in "no answer
 * (EPIPE)"). So, as nginx's lingering_close does, the 413 goes out with `Connection: close`,
 * the server half-closes (FIN after the answer) and keeps reading and discarding what the
 * client still sends, up to `Linger.bytes` and `Linger.ms`, before it closes.
 *
 * - Content-Length over the limit: refused in preParsing (after auth), before the body is read.
 * - `Expect: 100-continue` with such a Content-Length: refused without the 100, so a client
 *   that waits for it never sends the body.
 * - No Content-Length (chunked): counted as it arrives, refused when it passes the limit. The
 *   counting stream exists only for such requests; a Content-Length body costs one comparison.
 */

export interface Linger {
  /** Bytes read and discarded after the answer before the connection is cut. */
  readonly bytes: number;
  /** Time after the answer before the connection is cut, ms. */
  readonly ms: number;
}

/** 32 MiB: more than any sane client sends after a refusal; 5 s: nginx's lingering_timeout. */
export const DEFAULT_LINGER: Linger = { bytes: 32 * 1024 * 1024, ms: 5000 };

/**
 * Reads and discards what `socket` still receives once our side is closed, then destroys it
 * when the client closes, or at `linger.bytes` more bytes, or after `linger.ms`.
 * `counted` lets a caller that already reads the socket (the HTTP parser) report the bytes.
 */
export function lingerThenClose(socket: Socket, linger: Linger, counted?: (onBytes: (n: number) => void) => void): void {
  let seen = 0;
  const cut = (): void => {
    socket.destroy();
  };
  const timer = setTimeout(cut, linger.ms);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  const onBytes = (n: number): void => {
    seen += n;
    if (seen > linger.bytes) cut();
  };
  if (counted !== undefined) counted(onBytes);
  else socket.on('data', (chunk: Buffer) => onBytes(chunk.length));
}

function declaredLength(req: IncomingMessage): number {
  const v = req.headers['content-length'];
  return v === undefined ? Number.NaN : Number(v);
}

export interface BodyLimitOptions {
  /** Largest request body, bytes. */
  readonly bodyBytes: number;
  readonly linger?: Linger;
  /** Told of each refusal (the error counter). */
  readonly onRefused?: (code: ErrorCode) => void;
}

/** The coded answer written straight to the socket, then the lingering close. */
function refuse(o: BodyLimitOptions, req: FastifyRequest, reply: FastifyReply, code: ErrorCode, counted?: (onBytes: (n: number) => void) => void): void {
  o.onRefused?.(code);
  const linger = o.linger ?? DEFAULT_LINGER;
  const res: ServerResponse = reply.raw;
  const socket = req.raw.socket;
  // An answer still queued behind an earlier pipelined one cannot be written to the socket
  // out of turn: fastify's ordinary answer (Connection: close) is the best there is.
  if (res.socket !== socket || !socket.writable) {
    reply.header('connection', 'close');
    sendError(reply, code);
    return;
  }
  // Hijacked: node's response never finishes, so node never destroys the socket itself.
  reply.hijack();
  const body = errorBody(code);
  const text = JSON.stringify(body);
  socket.write(
    `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode] ?? 'Error'}\r\nContent-Type: ${JSON_TYPE}\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nDate: ${new Date().toUTCString()}\r\nConnection: close\r\n\r\n${text}`,
  );
  socket.end();
  // The parser still owns the socket and hands the rest of the body to the request: read it
  // from there (a Content-Length body) or from the counting stream (a chunked one).
  lingerThenClose(socket, linger, counted ?? ((onBytes) => req.raw.on('data', (c: Buffer) => onBytes(c.length))));
}

/** Passes a chunked body through up to `limit` bytes; past it, refuses and discards the rest. */
class CountingBody extends Transform {
  private received = 0;
  refused = false;
  private onLinger: ((n: number) => void) | null = null;

  constructor(
    private readonly limit: number,
    private readonly onOver: (counted: (onBytes: (n: number) => void) => void) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.received += chunk.length;
    if (this.refused) {
      this.onLinger?.(chunk.length);
      cb();
      return;
    }
    if (this.received <= this.limit) {
      cb(null, chunk);
      return;
    }
    this.refused = true;
    this.onOver((onBytes) => {
      this.onLinger = onBytes;
    });
    cb();
  }
}

/** Registers the refusals described above on `app` (and its http server's checkContinue). */
export function registerBodyLimit(app: FastifyInstance, o: BodyLimitOptions): void {
  const limit = o.bodyBytes;
  // Without a listener node sends 100 Continue to everyone; with it, only to bodies that fit.
  app.server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (!(declaredLength(req) > limit)) res.writeContinue();
    app.server.emit('request', req, res);
  });

  app.addHook('preParsing', (req, reply, payload, done) => {
    const length = declaredLength(req.raw);
    if (length > limit) {
      refuse(o, req, reply, 'M365FC_ERR_SERVE_BODY_TOO_LARGE');
      done(null, payload);
      return;
    }
    if (!Number.isNaN(length) || req.headers['transfer-encoding'] === undefined) {
      done(null, payload);
      return;
    }
    const counter = new CountingBody(limit, (counted) => refuse(o, req, reply, 'M365FC_ERR_SERVE_BODY_TOO_LARGE', counted));
    // Once refused, the counter never ends: the body's end or the client closing is not for
    // fastify to parse or answer on a reply that is already gone.
    req.raw.on('error', (err) => {
      if (!counter.refused) counter.destroy(err);
    });
    req.raw.on('end', () => {
      if (!counter.refused) counter.end();
    });
    done(null, req.raw.pipe(counter, { end: false }));
  });
}
