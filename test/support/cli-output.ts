import { vi } from 'vitest';

/** What an in-process CLI command said: its exit code and everything it wrote. */
export interface CliOutput {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Runs a command's `run()` with process.stdout and process.stderr captured, and restored after. */
export async function captureCli(run: () => Promise<number>): Promise<CliOutput> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => err.push(String(s)) > 0);
  try {
    const code = await run();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
