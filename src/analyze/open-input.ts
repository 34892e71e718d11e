import { closeSync, createReadStream, openSync, readSync, statSync, type ReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

/**
 * A flow log as a stream of bytes, gzip or plain, told apart by the magic bytes (1f 8b) rather
 * than the file name: appliances rotate logs to names like `flows.log.1` either way.
 */

export interface LogInput {
  /** The file name, or `-` for standard input. */
  readonly name: string;
  /** Size in bytes as stored (compressed when gzip); null when unknown (a pipe). */
  readonly size: number | null;
  /** The file to read, or null for a stream (which is then peeked at for its magic bytes). */
  readonly path: string | null;
  /** Opens the raw bytes; called once. */
  open(): Readable;
}

/** Read in large chunks: fewer line-splitting passes per byte (readline's cost is per chunk and per line). */
const CHUNK = 256 * 1024;

export function fileInput(path: string): LogInput {
  const st = statSync(path);
  // A named pipe or /dev/stdin is read like a stream: its first bytes cannot be read twice.
  return st.isFile()
    ? { name: path, size: st.size, path, open: () => createReadStream(path, { highWaterMark: CHUNK }) }
    : { name: path, size: null, path: null, open: () => createReadStream(path, { highWaterMark: CHUNK }) };
}

export function streamInput(name: string, stream: Readable): LogInput {
  return { name, size: null, path: null, open: () => stream };
}

export interface OpenedLog {
  /** Decompressed bytes. */
  readonly stream: Readable;
  readonly gzip: boolean;
  /** Raw bytes consumed so far (compressed when gzip), for progress. */
  bytesRead(): number;
}

/**
 * Opens `input`, looks at its first two bytes, and returns the decompressed stream. A gzip error
 * (a truncated or corrupt file) or a read error is emitted on the returned stream as 'error'.
 */
export async function openLog(input: LogInput): Promise<OpenedLog> {
  if (input.path !== null) return openFile(input.path, input.open() as ReadStream);
  return openStream(input.open());
}

/** A regular file: its magic bytes are read directly, and the file stream goes to readline unwrapped. */
function openFile(path: string, raw: ReadStream): OpenedLog {
  const magic = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, magic, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const gzip = n === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  return { stream: gzip ? gunzipOf(raw) : raw, gzip, bytesRead: () => raw.bytesRead };
}

function gunzipOf(raw: Readable): Readable {
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  raw.on('error', (err) => gunzip.destroy(err));
  raw.pipe(gunzip);
  return gunzip;
}

/** A pipe: the first chunk is read to see the magic bytes, then put back in front of the rest. */
async function openStream(raw: Readable): Promise<OpenedLog> {
  let read = 0;
  const it: AsyncIterator<Buffer | string> = raw[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLen = 0;
  let done = false;
  while (headLen < 2) {
    const r = await it.next();
    if (r.done === true) {
      done = true;
      break;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    head.push(chunk);
    headLen += chunk.length;
  }
  const first = Buffer.concat(head);
  read = first.length;
  const gzip = first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  async function* rest(): AsyncGenerator<Buffer> {
    if (first.length > 0) yield first;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done === true) return;
      const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
      read += chunk.length;
      yield chunk;
    }
  }
  const body = Readable.from(rest(), { objectMode: false, highWaterMark: CHUNK });
  return { stream: gzip ? gunzipOf(body) : body, gzip, bytesRead: () => read };
}
