import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { M365Error } from '../core/errors.js';

/** Durable writes for the state dir: a reader sees either the old file or the whole new one. */

export function ioError(op: string, path: string, err: unknown): M365Error {
  const e = err as NodeJS.ErrnoException;
  return new M365Error('M365FC_ERR_STORE_IO', `Cannot ${op} ${path}: ${e.message}`, { path, op, cause: e.code ?? 'unknown' });
}

export async function fsyncDir(dir: string): Promise<void> {
  // Makes the rename durable. Some file systems refuse fsync on a directory; that is not fatal.
  let h: fs.FileHandle | undefined;
  try {
    h = await fs.open(dir, 'r');
    await h.sync();
  } catch {
    return;
  } finally {
    await h?.close();
  }
}

/** Creates `path` (it must not exist) with `data`, synced to disk. */
export async function writeSynced(path: string, data: string): Promise<void> {
  const h = await fs.open(path, 'wx', 0o644);
  try {
    await h.writeFile(data, 'utf8');
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `data` to `path` so that a reader sees either the old file or the whole new one. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomUUID()}`;
  try {
    await writeSynced(tmp, data);
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw ioError('write', path, err);
  }
  await fsyncDir(dirname(path));
}
