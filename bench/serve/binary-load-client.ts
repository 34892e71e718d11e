/**
 * Load over the binary protocol's TCP port: `connections` sockets, each keeping `window`
 * length-prefixed frames unanswered, as an appliance pipelining its batches would.
 */
import { connect, type Socket } from 'node:net';
import { windowedLoad, type LoadResult } from './load-client.js';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** Each frame with its u32 length in front, once, so the loop only writes. */
export function lengthPrefixed(frames: readonly Buffer[]): Buffer[] {
  return frames.map((f) => {
    const b = Buffer.allocUnsafe(4 + f.length);
    b.writeUInt32BE(f.length, 0);
    f.copy(b, 4);
    return b;
  });
}

export async function tcpFrameLoad(
  port: number,
  serverPid: number,
  o: { connections: number; window: number; total: number; warmup: number; frames: readonly Buffer[] },
): Promise<LoadResult> {
  const sockets = await Promise.all(Array.from({ length: o.connections }, () => open(port)));
  for (const s of sockets) s.setNoDelay(true);
  return windowedLoad(sockets, serverPid, o, {
    send: (s, i) => s.write(o.frames[i % o.frames.length]!),
    listen: (s, answer, fail) => {
      let pending: Buffer = Buffer.alloc(0);
      s.on('data', (chunk: Buffer) => {
        pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
        while (pending.length >= 4) {
          const len = pending.readUInt32BE(0);
          if (pending.length < 4 + len) break;
          if (pending[4 + 3] !== 2) fail(new Error(`binary answer of kind ${pending[4 + 3]}`));
          pending = pending.subarray(4 + len);
          if (answer(len)) return;
        }
      });
    },
    unlisten: (s) => s.removeAllListeners('data'),
    close: (s) => s.destroy(),
  });
}
