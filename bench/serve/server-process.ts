/**
 * Servers of the load benchmarks, each in a child process (so that the load client, in the
 * bench's own process, never shares an event loop with the server it measures).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';

export interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  /** Ports handed out for the `PORT`, `PORT2`... placeholders, in order. */
  readonly ports: readonly number[];
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Starts `node script args`, `PORT` and `PORT2` replaced by free ports; waits until
 * `readyPath` on the first answers 200. */
export async function start(script: string, args: string[], readyPath: string): Promise<Server> {
  const ports = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [script, ...args.map((a) => (a === 'PORT' ? String(ports[0]) : a === 'PORT2' ? String(ports[1]) : a))], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${ports[0]}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      const r = await request(`${url}${readyPath}`);
      await r.body.arrayBuffer();
      if (r.statusCode === 200) return { child, url, ports };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${script} did not become ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function stop(s: Server): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null) return resolve();
    s.child.once('exit', () => resolve());
    s.child.kill('SIGTERM');
  });
}
