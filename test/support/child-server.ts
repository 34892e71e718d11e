/**
 * A server in a child process, for the tests and benches that run the real CLI: a free port to
 * hand it, a wait until it answers, a wait until it exits.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'undici';

/** A port free on 127.0.0.1 now (the OS picks it; the child binds it soon after). */
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

/** Polls `url` until it answers 200; throws when the child exits first, or after `timeoutMs`
 * when one is given (tests leave the bound to their own timeout). */
export async function untilReady(url: string, child: ChildProcess, o: { name: string; timeoutMs?: number }): Promise<void> {
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${o.name} exited with ${child.exitCode}`);
    try {
      const r = await request(url);
      await r.body.arrayBuffer();
      if (r.statusCode === 200) return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`${o.name} did not become ready`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The child's exit code, once it has exited. */
export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}
