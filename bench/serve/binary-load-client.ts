/**
 * Load over the binary protocol's TCP port: `connections` sockets, each keeping `window`
 * length-prefixed frames unanswered, as an appliance pipelining its batches would.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { serverTicks, summarize, type LoadResult } from './load-client.js';

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
  const run = (count: number, latencies: Float64Array | null): Promise<number> => {
    let next = 0;
    let done = 0;
    let bytes = 0;
    return new Promise((resolve, reject) => {
      for (const s of sockets) {
        const sentAt: number[] = [];
        const ids: number[] = [];
        let pending: Buffer = Buffer.alloc(0);
        const sendOne = (): void => {
          const i = next++;
          if (i >= count) return;
          ids.push(i);
          sentAt.push(performance.now());
          s.write(o.frames[i % o.frames.length]!);
        };
        const onData = (chunk: Buffer): void => {
          pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
          while (pending.length >= 4) {
            const len = pending.readUInt32BE(0);
            if (pending.length < 4 + len) break;
            if (pending[4 + 3] !== 2) reject(new Error(`binary answer of kind ${pending[4 + 3]}`));
            pending = pending.subarray(4 + len);
            bytes += len;
            const t = sentAt.shift()!;
            const i = ids.shift()!;
            if (latencies) latencies[i] = performance.now() - t;
            if (++done === count) {
              for (const x of sockets) x.removeAllListeners('data');
              resolve(bytes);
              return;
            }
            sendOne();
          }
        };
        s.on('data', onData);
        s.once('close', () => reject(new Error('socket closed during the run')));
        for (let k = 0; k < o.window; k++) sendOne();
      }
    });
  };
  try {
    await run(o.warmup, null);
    for (const s of sockets) s.removeAllListeners('close');
    const latencies = new Float64Array(o.total);
    const ticks0 = serverTicks(serverPid);
    const t0 = performance.now();
    const bytes = await run(o.total, latencies);
    const seconds = (performance.now() - t0) / 1000;
    return summarize(latencies, o.total, seconds, serverTicks(serverPid) - ticks0, bytes);
  } finally {
    for (const s of sockets) {
      s.removeAllListeners('close');
      s.destroy();
    }
  }
}
