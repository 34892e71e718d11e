import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Shutdown takes as long as the slowest request in flight, not the whole grace period.
 *
 * server.close() waits for every connection to end. An answer that was in flight when close()
 * began went out with `Connection: keep-alive`, so its client kept the connection and close()
 * waited the full --shutdown-timeout-ms (issue 16). Here, once close() begins:
 * - the last answer owed on each busy connection is sent with `Connection: close` (Node then
 *   ends the socket after it); requests that arrive later get it from fastify itself;
 * - idle keep-alive connections are closed, and again every 50 ms, for connections that turn
 *   idle by another road.
 *
 * "The last answer owed" needs two fields Node does not document: `socket._httpMessage` (the
 * answer being written) and `socket.parser.incoming` (the newest request parsed on the socket).
 * An earlier answer of pipelined requests must stay keep-alive, or the later ones are lost.
 * test/integration/serve-drain.test.ts fails if a Node release changes either.
 */

interface HttpSocket extends Socket {
  _httpMessage?: ServerResponse | null;
  parser?: { incoming?: IncomingMessage | null } | null;
}

const IDLE_SWEEP_MS = 50;

/**
 * Makes the last answer owed on `socket` its last: decided when that answer writes its head,
 * the latest moment, so that a request pipelined behind it until then is still answered.
 */
function closeAfterLastAnswer(socket: HttpSocket): void {
  const res = socket._httpMessage;
  if (res === null || res === undefined) return;
  const next = (): void => {
    // Pipelined requests wait behind this answer: look again when the next one takes the socket.
    res.once('finish', () => closeAfterLastAnswer(socket));
  };
  if (res.headersSent) return next();
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: Parameters<ServerResponse['writeHead']>) {
    if (socket.parser?.incoming === res.req) res.shouldKeepAlive = false;
    else next();
    return writeHead.apply(this, args);
  } as ServerResponse['writeHead'];
}

export function installDrain(app: FastifyInstance): void {
  const sockets = new Set<HttpSocket>();
  let sweep: NodeJS.Timeout | null = null;
  app.server.on('connection', (s: HttpSocket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  app.addHook('preClose', (done) => {
    for (const s of sockets) closeAfterLastAnswer(s);
    app.server.closeIdleConnections();
    sweep = setInterval(() => app.server.closeIdleConnections(), IDLE_SWEEP_MS);
    sweep.unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    if (sweep !== null) clearInterval(sweep);
    sweep = null;
    done();
  });
}
