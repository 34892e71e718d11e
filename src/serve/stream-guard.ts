import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket, WebSocketServer } from 'ws';
import type { ServeContext } from './context.js';
import { refuseSocket } from './http-edge.js';
import { sendError } from './reply.js';

/**
 * What keeps WebSocket clients from holding the service (issue 16):
 * - a cap on open connections (`--stream-max-connections`): one more is refused before the
 *   upgrade with 503 M365FC_ERR_SERVE_TOO_MANY_STREAMS and Retry-After;
 * - an idle timeout (`--stream-idle-ms`): a connection that shows no sign of life, no message
 *   and no pong, for that long is closed with 1001 and reason M365FC_ERR_SERVE_STREAM_IDLE.
 *   A quiet subscriber is alive: after half the timeout of silence it is pinged, and every
 *   WebSocket client (browsers included) answers a ping by itself;
 * - a handshake ws refuses (no or a bad Sec-WebSocket-Key or -Version, an Upgrade other than
 *   websocket) is answered 400 with the coded body instead of ws's text/html page;
 * - a plain GET of the WebSocket route is answered 426 M365FC_ERR_SERVE_UPGRADE_REQUIRED.
 * The open-connection count is the m365fc_websocket_connections gauge of /metrics.
 */

export class StreamGuard {
  private open = 0;

  constructor(private readonly ctx: ServeContext) {}

  get openConnections(): number {
    return this.open;
  }

  /** onRequest of the stream route: refuses an upgrade over the cap before it happens. */
  readonly admit = (req: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (req.headers.upgrade === undefined || this.open < this.ctx.limits.streamMaxConnections) return done();
    this.ctx.metrics.countError('M365FC_ERR_SERVE_TOO_MANY_STREAMS');
    sendError(reply, 'M365FC_ERR_SERVE_TOO_MANY_STREAMS', `The server holds its maximum of ${this.ctx.limits.streamMaxConnections} WebSocket connections`);
  };

  /** The plain-HTTP handler of the stream route. */
  readonly upgradeRequired = (_req: FastifyRequest, reply: FastifyReply): void => {
    this.ctx.metrics.countError('M365FC_ERR_SERVE_UPGRADE_REQUIRED');
    reply.header('upgrade', 'websocket');
    sendError(reply, 'M365FC_ERR_SERVE_UPGRADE_REQUIRED');
  };

  /**
   * Takes a new connection: false when it is over the cap (handshakes that passed `admit`
   * together), and it has been closed with 1013 (try again later).
   */
  accept(socket: WebSocket): boolean {
    if (this.open >= this.ctx.limits.streamMaxConnections) {
      this.ctx.metrics.countError('M365FC_ERR_SERVE_TOO_MANY_STREAMS');
      socket.close(1013, 'M365FC_ERR_SERVE_TOO_MANY_STREAMS');
      setTimeout(() => socket.terminate(), this.ctx.limits.streamCloseGraceMs).unref();
      return false;
    }
    this.open++;
    socket.once('close', () => this.open--);
    if (this.ctx.limits.streamIdleMs > 0) this.watchIdle(socket);
    return true;
  }

  private watchIdle(socket: WebSocket): void {
    const idleMs = this.ctx.limits.streamIdleMs;
    let lastSeen = performance.now();
    let pinged = false;
    const alive = (): void => {
      lastSeen = performance.now();
      pinged = false;
    };
    socket.on('message', alive);
    socket.on('pong', alive);
    socket.on('ping', alive);
    // One timer per connection, re-armed for what is left rather than reset on every message.
    let timer: NodeJS.Timeout;
    const check = (): void => {
      const silent = performance.now() - lastSeen;
      if (silent >= idleMs) {
        this.ctx.metrics.countError('M365FC_ERR_SERVE_STREAM_IDLE');
        socket.close(1001, 'M365FC_ERR_SERVE_STREAM_IDLE');
        setTimeout(() => socket.terminate(), this.ctx.limits.streamCloseGraceMs).unref();
        return;
      }
      if (!pinged && silent >= idleMs / 2 && socket.readyState === socket.OPEN) {
        pinged = true;
        socket.ping();
      }
      timer = setTimeout(check, pinged || silent >= idleMs / 2 ? idleMs - silent : idleMs / 2 - silent);
      timer.unref();
    };
    timer = setTimeout(check, idleMs / 2);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  /** Coded 400 for a handshake ws refuses (it emits wsClientError when someone listens). */
  installHandshakeErrors(app: FastifyInstance & { websocketServer: WebSocketServer }): void {
    app.websocketServer.on('wsClientError', (err: Error, socket) => {
      this.ctx.metrics.countError('M365FC_ERR_SERVE_BAD_REQUEST');
      const headers: Record<string, string> = /Version/.test(err.message) ? { 'Sec-WebSocket-Version': '13, 8' } : {};
      refuseSocket(socket, 'M365FC_ERR_SERVE_BAD_REQUEST', `WebSocket handshake refused: ${err.message}`, headers);
    });
  }
}
