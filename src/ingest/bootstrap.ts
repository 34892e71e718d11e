import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../core/types.js';
import { readDataFile } from './snapshot-file.js';

/** The package root, found from this module whether it runs from src/ (tests) or dist/src/ (built). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'm365-flow-classifier') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('m365-flow-classifier: package root not found');
    dir = up;
  }
}

export function bootstrapPath(): string {
  return join(packageRoot(), 'data', 'bootstrap.snapshot.json');
}

/** The embedded snapshot the service starts on when there is no cache and no network. */
export function loadBootstrapSnapshot(): Snapshot {
  return readDataFile(bootstrapPath());
}
