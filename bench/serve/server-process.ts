/**
 * Servers of the load benchmarks, each in a child process (so that the load client, in the
 * bench's own process, never shares an event loop with the server it measures).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, untilReady } from '../../test/support/child-server.js';

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  /** Ports handed out for the `PORT`, `PORT2`... placeholders, in order. */
  readonly ports: readonly number[];
}

/** Starts `node script args`, `PORT` and `PORT2` replaced by free ports; waits until
 * `readyPath` on the first answers 200. */
export async function start(script: string, args: string[], readyPath: string): Promise<Server> {
  const ports = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [script, ...args.map((a) => (a === 'PORT' ? String(ports[0]) : a === 'PORT2' ? String(ports[1]) : a))], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${ports[0]}`;
  await untilReady(`${url}${readyPath}`, child, { name: script, timeoutMs: 30_000 });
  return { child, url, ports };
}

export function stop(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve();
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });
}
