import { closeSync, openSync, readSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
import { detectFormat, type KnownFormat } from './log-formats.js';

/**
 * The format of a log file from its first 64 kB, before it is read: ssl.log must be read before
 * conn.log so that connections get their server names, and an Azure document is read in pieces
 * rather than lines. Standard input cannot be looked at twice and is told from its first line.
 */
export function sniffFile(path: string): KnownFormat | null {
  const buf = Buffer.alloc(64 * 1024);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  let head = buf.subarray(0, n);
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    try {
      // A partial gzip stream: decompress what is there.
      head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return null;
    }
  }
  let text = head.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  const first = lines.find((l) => l.trim().length > 0);
  if (first === undefined) return null;
  const f = detectFormat(first);
  if (f !== 'zeek-tsv') return f;
  const path_ = lines.find((l) => l.startsWith('#path'));
  const fields = lines.find((l) => l.startsWith('#fields')) ?? '';
  if (path_ !== undefined) return path_.endsWith('ssl') ? 'zeek-ssl' : 'zeek-conn';
  return fields.includes('server_name') ? 'zeek-ssl' : 'zeek-conn';
}
