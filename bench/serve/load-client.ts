/**
 * Load generation for the service benchmark: bounded request loops over undici (keep-alive,
 * pipelining) and `ws`, latency per request, and the server's CPU time read from /proc, so a
 * ratio can be given per request of server CPU even when the load generator is the limit.
 */
import type { EventEmitter } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { WebSocket } from 'ws';

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU (user + system) per request, microseconds; NaN where /proc is not readable. */
  readonly serverCpuUs: number;
  readonly bytesIn: number;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string | Buffer;
}

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/** CPU ticks of a server process and its cluster workers. */
export function serverTicks(pid: number): number {
  let t = cpuTicks(pid);
  for (const c of childrenOf(pid)) t += cpuTicks(c);
  return t;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

export function summarize(latencies: Float64Array, n: number, seconds: number, ticks: number, bytesIn: number): LoadResult {
  const sorted = latencies.slice(0, n).sort();
  return {
    requests: n,
    seconds,
    perSecond: n / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    serverCpuUs: (ticks * TICK_US) / n,
    bytesIn,
  };
}

/** The timed part of every load: `warmup` requests uncounted, then `total` timed, with the
 * server's CPU ticks read around the timed run. `run` answers the bytes received. */
export async function measure(
  serverPid: number,
  o: { total: number; warmup: number },
  run: (count: number, latencies: Float64Array | null) => Promise<number>,
  afterWarmup: () => void = () => undefined,
): Promise<LoadResult> {
  await run(o.warmup, null);
  afterWarmup();
  const latencies = new Float64Array(o.total);
  const ticks0 = serverTicks(serverPid);
  const t0 = performance.now();
  const bytes = await run(o.total, latencies);
  const seconds = (performance.now() - t0) / 1000;
  return summarize(latencies, o.total, seconds, serverTicks(serverPid) - ticks0, bytes);
}

/**
 * `total` requests made by `connections * pipelining` concurrent loops; `make(i)` gives the
 * i-th request. `warmup` requests run first and are not counted.
 */
export async function httpLoad(
  url: string,
  serverPid: number,
  o: { connections: number; pipelining: number; total: number; warmup: number; make: (i: number) => HttpRequest; allow400?: boolean },
): Promise<LoadResult> {
  const pool = new Pool(url, { connections: o.connections, pipelining: o.pipelining, keepAliveTimeout: 60_000 });
  const headers = { 'content-type': 'application/json' };
  const run = async (count: number, latencies: Float64Array | null): Promise<number> => {
    let next = 0;
    let bytes = 0;
    const loop = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const req = o.make(i);
        const t0 = performance.now();
        const res = await pool.request({ method: req.method, path: req.path, headers, ...(req.body !== undefined ? { body: req.body } : {}) });
        const body = await res.body.arrayBuffer();
        // allow400: a workload with invalid flows, which single-flow GETs answer with 400
        if (res.statusCode !== 200 && !(o.allow400 === true && res.statusCode === 400)) throw new Error(`${req.method} ${req.path}: ${res.statusCode} ${Buffer.from(body).toString().slice(0, 200)}`);
        bytes += body.byteLength;
        if (latencies) latencies[i] = performance.now() - t0;
      }
    };
    await Promise.all(Array.from({ length: o.connections * o.pipelining }, loop));
    return bytes;
  };
  try {
    return await measure(serverPid, o, run);
  } finally {
    await pool.close();
  }
}

/** How a windowed load talks over one kind of connection (a WebSocket, a TCP socket). */
export interface WindowedIo<C> {
  send(conn: C, i: number): void;
  /** Calls `answer(bytes)` once per answer, in the order sent (it says true once the run is
   * complete), or `fail` on an answer that is wrong. */
  listen(conn: C, answer: (bytes: number) => boolean, fail: (e: Error) => void): void;
  unlisten(conn: C): void;
  close(conn: C): void;
}

/**
 * `total` messages over `conns`, each keeping `window` messages unanswered, as a client
 * pipelining its batches would; each connection answers in the order it was sent.
 */
export async function windowedLoad<C extends EventEmitter>(
  conns: readonly C[],
  serverPid: number,
  o: { window: number; total: number; warmup: number },
  io: WindowedIo<C>,
): Promise<LoadResult> {
  const run = (count: number, latencies: Float64Array | null): Promise<number> => {
    let next = 0;
    let done = 0;
    let bytes = 0;
    return new Promise((resolve, reject) => {
      for (const conn of conns) {
        const sentAt: number[] = [];
        const ids: number[] = [];
        const sendOne = (): void => {
          const i = next++;
          if (i >= count) return;
          ids.push(i);
          sentAt.push(performance.now());
          io.send(conn, i);
        };
        const answer = (n: number): boolean => {
          const t = sentAt.shift()!;
          const i = ids.shift()!;
          bytes += n;
          if (latencies) latencies[i] = performance.now() - t;
          if (++done === count) {
            for (const c of conns) io.unlisten(c);
            resolve(bytes);
            return true;
          }
          sendOne();
          return false;
        };
        io.listen(conn, answer, reject);
        conn.once('close', () => reject(new Error('socket closed during the run')));
        for (let k = 0; k < o.window; k++) sendOne();
      }
    });
  };
  try {
    return await measure(serverPid, o, run, () => {
      for (const c of conns) c.removeAllListeners('close');
    });
  } finally {
    for (const c of conns) {
      c.removeAllListeners('close');
      io.close(c);
    }
  }
}

function openSocket(url: string): Promise<WebSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/stream`, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/**
 * `total` messages over `sockets` WebSockets, each keeping `window` messages unanswered;
 * `make(i)` gives the i-th message: text (JSON) or a Buffer (a binary frame, sent as a binary
 * message; its answer is a binary frame too, of kind 2 unless something is wrong).
 */
export async function wsLoad(
  url: string,
  serverPid: number,
  o: { sockets: number; window: number; total: number; warmup: number; make: (i: number) => string | Buffer },
): Promise<LoadResult> {
  const sockets = await Promise.all(Array.from({ length: o.sockets }, () => openSocket(url)));
  return windowedLoad(sockets, serverPid, o, {
    send: (ws, i) => ws.send(o.make(i)),
    listen: (ws, answer, fail) =>
      ws.on('message', (data: Buffer) => {
        if (data[2] === 0x65 && data.toString().startsWith('{"error"')) fail(new Error(data.toString().slice(0, 200)));
        if (data[0] === 0x4d && data[1] === 0x46 && data[3] !== 2) fail(new Error(`binary answer of kind ${data[3]}`));
        answer(data.length);
      }),
    unlisten: (ws) => ws.removeAllListeners('message'),
    close: (ws) => ws.close(),
  });
}
