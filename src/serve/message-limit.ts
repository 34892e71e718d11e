import type { Socket } from 'node:net';
import type { WebsocketPluginOptions } from '@fastify/websocket';
import WebSocket from 'ws';
import type { ErrorCode } from '../core/errors.js';
import { DEFAULT_LINGER, lingerThenClose, type Linger } from './body-limit.js';

/**
 * WebSocket closes that `ws` makes on its own carry our error code as the close reason.
 *
 * `ws` refuses a message over `maxPayload` as soon as the frame header announces its length (so
 * memory stays bounded by the limit), and closes with a bare 1009; bad UTF-8 gets 1007 and a
 * protocol error 1002. A client cannot tell our limit from a proxy's. The subclass, which ws
 * takes through its documented `WebSocket` server option, fills in the reason when ws gives
 * none: `M365FC_ERR_SERVE_MESSAGE_TOO_LARGE: ...` for 1009, `M365FC_ERR_SERVE_BAD_MESSAGE: ...`
 * for 1007 and 1002. ws already closes lingeringly (close frame, FIN, then it reads and drops
 * what the client still sends); `lingerAfterOversize` bounds that in bytes and time, as HTTP does.
 */

/** What ws's server option `WebSocket` takes: the class with ws's statics. */
type WebSocketClass = NonNullable<NonNullable<WebsocketPluginOptions['options']>['WebSocket']>;

/** Close reasons are at most 123 bytes (RFC 6455 5.5: a control frame payload is <= 125). */
const MAX_REASON_BYTES = 123;

export function closeReason(code: ErrorCode, detail: string): string {
  const text = `${code}: ${detail}`;
  return Buffer.byteLength(text) <= MAX_REASON_BYTES ? text : code;
}

/** The WebSocket class for ws's server option `WebSocket`, given the message limit. */
export function codedWebSocketClass(messageBytes: number): WebSocketClass {
  const reasons: Readonly<Record<number, string>> = {
    1009: closeReason('M365FC_ERR_SERVE_MESSAGE_TOO_LARGE', `a message is limited to ${messageBytes} bytes`),
    1007: closeReason('M365FC_ERR_SERVE_BAD_MESSAGE', 'a text message is not valid UTF-8'),
    1002: closeReason('M365FC_ERR_SERVE_BAD_MESSAGE', 'the frames break the WebSocket protocol'),
  };
  class CodedWebSocket extends WebSocket {
    override close(code?: number, data?: string | Buffer): void {
      const reason = data === undefined && code !== undefined ? reasons[code] : undefined;
      super.close(code, reason ?? data);
    }
  }
  // ws's statics (Server, createWebSocketStream...) are inherited at run time; the types
  // declare them on the namespace, which a subclass does not carry.
  return CodedWebSocket as WebSocketClass;
}

/** After ws refused an oversize message: stop reading what follows at the linger bounds. */
export function lingerAfterOversize(socket: Socket, linger: Linger = DEFAULT_LINGER): void {
  lingerThenClose(socket, linger);
}
