import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseEndpointsResponse } from '../../src/ingest/parse-endpoints.js';
import type { Timers } from '../../src/follow/updater.js';
import { Follower } from '../../src/follow/follower.js';
import { expandBooleanFlags, FOLLOW_OPTIONS, followConfig } from '../../src/follow/options.js';
import { resolveServeConfig, type ServeConfig } from '../../src/serve/config.js';
import type { Snapshot } from '../../src/core/types.js';
import { readRealResponseText, type RealResponse } from '../support/data.js';

/** A clock and timers that move only when the test says so: nothing sleeps for real. */
export class ManualTimers implements Timers {
  private t: number;
  private seq = 0;
  private pending = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2025, 6, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** When the earliest timer is due, or null. */
  nextAt(): number | null {
    let best: number | null = null;
    for (const { at } of this.pending.values()) if (best === null || at < best) best = at;
    return best;
  }

  /** Moves the clock forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.pending) if (e[1].at <= end && (due === null || e[1].at < due[1].at)) due = e;
      if (!due) break;
      this.pending.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
    }
    this.t = end;
  }
}

export function realSnapshot(file: RealResponse, version = '0000000000', origin: string = file): Snapshot {
  return parseEndpointsResponse(readRealResponseText(file), { version, origin });
}

export function tempDir(prefix = 'm365fc-fault-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What `m365fc serve ARGV` does before it listens: options resolved as the CLI resolves them
 * and the Follower opened, with short upstream timeouts. */
export async function openFollower(argv: string[], timers?: ManualTimers): Promise<{ config: ServeConfig; follower: Follower }> {
  const config = resolveServeConfig(expandBooleanFlags(argv, FOLLOW_OPTIONS), {}, FOLLOW_OPTIONS);
  const follow = followConfig(config.extra, { tenant: config.tenant, data: config.data });
  const follower = await Follower.open({ data: config.data, precedence: config.precedence, follow }, { startupTimeoutMs: 5000, headersTimeoutMs: 500, bodyTimeoutMs: 500, timers });
  return { config, follower };
}
