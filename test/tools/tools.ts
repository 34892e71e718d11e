/**
 * Support for tests that load our files into the real programs they are for. A test that needs a
 * missing program fails when process.env.CI is set (CI installs them: .ci/run) and is skipped with
 * a message naming the program otherwise. Network namespaces (`unshare -n`) keep every load away
 * from the host's own firewall and routes; they need root (CAP_SYS_ADMIN), which CI has.
 */
import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';
import { createExportRegistry } from '../../src/export/builtins.js';
import { prepareExport } from '../../src/export/export-file.js';
import { createClassifier, parseEndpointsResponse } from '../../src/index.js';
import type { Classifier } from '../../src/match/classifier.js';
import type { Snapshot } from '../../src/core/types.js';
import { REAL_RESPONSES, readRealResponseText, type RealResponse } from '../support/data.js';

const SEARCH = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

export function toolPath(name: string): string | null {
  for (const dir of SEARCH) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** True when this process may create network namespaces (checked once). */
let netnsOk: boolean | undefined;
export function canUseNetns(): boolean {
  if (netnsOk === undefined) {
    try {
      execFileSync(toolPath('unshare') ?? 'unshare', ['-n', 'true'], { stdio: 'ignore' });
      netnsOk = true;
    } catch {
      netnsOk = false;
    }
  }
  return netnsOk;
}

/**
 * `describe` when every tool is there; otherwise one failing test in CI, a skip elsewhere.
 * `netns`: the tests also need network namespaces (a missing one is reported the same way).
 */
export function describeWithTools(title: string, tools: readonly string[], fn: () => void, opts: { netns?: boolean } = {}): void {
  const missing = tools.filter((t) => toolPath(t) === null);
  if (opts.netns === true && !canUseNetns()) missing.push('network namespaces (unshare -n: needs root)');
  if (missing.length === 0) {
    describe(title, fn);
    return;
  }
  const message = `${title}: needs ${missing.join(', ')}, which this machine lacks (Debian: see .ci/run)`;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false') {
    describe(title, () => {
      it('has the real tools it needs', () => {
        throw new Error(message);
      });
    });
  } else {
    describe.skip(`${title} (skipped: ${message})`, fn);
  }
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; never rejects on a non-zero exit (the test reads `code`). */
export function run(cmd: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 120_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err !== null && typeof err.code !== 'number') reject(err);
      else resolve({ code: err === null ? 0 : (err.code as number), stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs `fn` on every item, at most `size` at a time, results in order. */
export async function pool<T, R>(items: readonly T[], size: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `m365fc-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const registry = createExportRegistry();

export async function renderText(name: string, snapshot: Snapshot, options: Record<string, unknown> = {}): Promise<string> {
  return prepareExport(registry, name, snapshot, options).renderText();
}

export async function renderBytes(name: string, snapshot: Snapshot, options: Record<string, unknown> = {}): Promise<Uint8Array> {
  const file = await prepareExport(registry, name, snapshot, options).render();
  return typeof file === 'string' ? new TextEncoder().encode(file) : file;
}

export interface RealData {
  readonly name: RealResponse;
  readonly snapshot: Snapshot;
  readonly engine: Classifier;
}

/** The stored real responses, parsed, each with a specific-first engine. */
export function realData(): RealData[] {
  return REAL_RESPONSES.map((name) => {
    const snapshot = parseEndpointsResponse(readRealResponseText(name));
    return { name, snapshot, engine: createClassifier(snapshot, { precedence: 'specific-first' }) };
  });
}
