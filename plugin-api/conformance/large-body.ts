import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { HttpAnswer, TargetHttp } from './http.js';

/**
 * Sends a large request body over its own connection while reading the answer at the same
 * time, so a server that answers early (413) and closes is heard even when our own write then
 * fails with EPIPE or ECONNRESET. A pooled client (undici) reports the failed write and drops
 * the answer it had not handed up yet: that was issue 10's "no answer (EPIPE)", 1 run in 3.
 *
 * A write error is recorded beside the answer (`writeError`), not instead of it. Only when no
 * complete answer arrived is the result a transport failure (status 0 and `error`).
 */

export interface LargeBodyOptions {
  readonly method?: 'POST' | 'PUT';
  /** Path under the target's base path. */
  readonly path: string;
  readonly bytes: number;
  /** Transfer-Encoding: chunked instead of Content-Length. */
  readonly chunked?: boolean;
  /** Send `Expect: 100-continue` and hold the body until the 100 (or EXPECT_WAIT_MS). */
  readonly expectContinue?: boolean;
  readonly contentType?: string;
  readonly timeoutMs: number;
}

export interface LargeBodyAnswer extends HttpAnswer {
  /** Body bytes handed to the socket before the answer came or the write failed. */
  readonly sentBytes: number;
  /** Our own write's error (EPIPE, ECONNRESET), when it failed; the answer may still be here. */
  readonly writeError?: string;
}

/** RFC 9110 15.2.1: a client that sent Expect may send the body anyway after a while. */
const EXPECT_WAIT_MS = 1000;
const CHUNK = 64 * 1024;
const FILL = 0x20; // spaces: JSON whitespace, so only the size is wrong

interface Parsed {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** An HTTP/1.1 response from `buf`: null while incomplete. `closed`: the server ended the stream. */
function parseResponse(buf: Buffer, closed: boolean): Parsed | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1] ?? Number.NaN);
  if (!Number.isInteger(status)) return null;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
  }
  const rest = buf.subarray(end + 4);
  if (status >= 100 && status < 200) return { status, headers, body: rest };
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) return dechunk(rest, status, headers);
  const length = headers['content-length'];
  if (length !== undefined) {
    const n = Number(length);
    return rest.length >= n ? { status, headers, body: rest.subarray(0, n) } : null;
  }
  return closed ? { status, headers, body: rest } : null;
}

function dechunk(rest: Buffer, status: number, headers: Record<string, string>): Parsed | null {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = rest.indexOf('\r\n', at);
    if (eol < 0) return null;
    const size = Number.parseInt(rest.subarray(at, eol).toString('latin1'), 16);
    if (!Number.isInteger(size)) return null;
    if (size === 0) return { status, headers, body: Buffer.concat(parts) };
    if (rest.length < eol + 2 + size + 2) return null;
    parts.push(rest.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

function open(http: TargetHttp): Socket {
  const url = new URL(http.origin);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return url.protocol === 'https:' ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
}

/** Sends `o.bytes` of body to the target and resolves to whatever answer came back. */
export function sendLargeBody(http: TargetHttp, o: LargeBodyOptions): Promise<LargeBodyAnswer> {
  const method = o.method ?? 'POST';
  const path = http.pathOf(o.path);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const socket = open(http);
    const received: Buffer[] = [];
    let sent = 0;
    let writeError: string | undefined;
    let socketError: string | undefined;
    let final: Parsed | null = null;
    let continued = false;
    let settled = false;
    let expectTimer: NodeJS.Timeout | null = null;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      finish();
    }, o.timeoutMs);

    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (expectTimer !== null) clearTimeout(expectTimer);
      socket.destroy();
      const ms = performance.now() - t0;
      const extra = { sentBytes: sent, ...(writeError !== undefined ? { writeError } : {}) };
      if (final === null) {
        const error = socketError ?? writeError ?? (timedOut ? 'timeout' : 'closed without an answer');
        resolve({ method, path, status: 0, contentType: '', headers: {}, text: '', body: undefined, ms, error, ...extra });
        return;
      }
      const text = final.body.toString('utf8');
      const contentType = final.headers['content-type'] ?? '';
      let body: unknown;
      try {
        body = JSON.parse(text) as unknown;
      } catch {
        body = undefined;
      }
      const answer = { method, path, status: final.status, contentType, headers: final.headers, text, body, ms };
      http.answers.push(answer);
      resolve({ ...answer, ...extra });
    };
    /** Parses what arrived: drops 1xx answers (a 100 releases the body), keeps the final one. */
    const read = (closed: boolean): void => {
      for (;;) {
        const p = parseResponse(Buffer.concat(received), closed);
        if (p === null) return;
        if (p.status >= 200) {
          final = p;
          finish();
          return;
        }
        received.length = 0;
        if (p.body.length > 0) received.push(p.body);
        if (p.status === 100 && !continued) startBody();
      }
    };
    socket.on('data', (d: Buffer) => {
      received.push(d);
      read(false);
    });
    socket.on('error', (err: Error & { code?: string }) => {
      const code = err.code ?? err.message;
      // Once the head went out, an error is (also) our write failing: EPIPE, ECONNRESET.
      if (sent > 0 || continued) writeError ??= code;
      else socketError ??= code;
    });
    socket.on('close', () => {
      read(true);
      finish();
    });

    const piece = Buffer.alloc(CHUNK, FILL);
    const framed = Buffer.concat([Buffer.from(`${CHUNK.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    const pump = (): void => {
      while (!settled && !socket.destroyed && sent < o.bytes) {
        const n = Math.min(CHUNK, o.bytes - sent);
        sent += n;
        const data = o.chunked ? (n === CHUNK ? framed : Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), piece.subarray(0, n), Buffer.from('\r\n')])) : piece.subarray(0, n);
        if (!socket.write(data)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (!settled && !socket.destroyed && o.chunked && sent >= o.bytes) socket.write('0\r\n\r\n');
    };
    function startBody(): void {
      if (continued) return;
      continued = true;
      if (expectTimer !== null) clearTimeout(expectTimer);
      pump();
    }

    const head = [
      `${method} ${path} HTTP/1.1`,
      `Host: ${new URL(http.origin).host}`,
      `Content-Type: ${o.contentType ?? 'application/json'}`,
      o.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${o.bytes}`,
      ...(o.expectContinue ? ['Expect: 100-continue'] : []),
      ...Object.entries(http.authHeaders()).map(([k, v]) => `${k}: ${v}`),
      'Connection: close',
    ];
    socket.write(`${head.join('\r\n')}\r\n\r\n`);
    if (o.expectContinue) expectTimer = setTimeout(startBody, EXPECT_WAIT_MS);
    else startBody();
  });
}
