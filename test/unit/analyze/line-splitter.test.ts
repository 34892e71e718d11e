/**
 * The line splitter gives the lines node:readline gives (crlfDelay: Infinity) on the same bytes,
 * however they are cut into chunks: \n, \r\n, lone \r, an ending split across chunks, a
 * multi-byte character split across chunks, a last line with and without an ending.
 */
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { forEachLine } from '../../../src/analyze/line-splitter.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const PIECES = ['a,b,c', '10.0.0.1', '', 'é€😀', '\n', '\r\n', '\r', '\n\n', '\r\r\n', ' '];

function chunksOf(bytes: Buffer, r: () => number): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < bytes.length) {
    const n = 1 + Math.floor(r() * 12);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

async function viaReadline(chunks: Buffer[]): Promise<string[]> {
  const lines: string[] = [];
  const rl = createInterface({ input: Readable.from(chunks), crlfDelay: Infinity });
  rl.on('line', (l) => lines.push(l));
  await new Promise<void>((resolve) => rl.once('close', resolve));
  return lines;
}

async function viaSplitter(chunks: Buffer[]): Promise<string[]> {
  const lines: string[] = [];
  await forEachLine(Readable.from(chunks), (l) => lines.push(l), () => false);
  return lines;
}

describe('forEachLine', () => {
  it('gives the lines readline gives, on 400 random texts cut at random', async () => {
    const r = rng(12);
    for (let t = 0; t < 400; t++) {
      let text = '';
      const parts = Math.floor(r() * 30);
      for (let i = 0; i < parts; i++) text += PIECES[Math.floor(r() * PIECES.length)];
      const chunks = chunksOf(Buffer.from(text, 'utf8'), r);
      expect(await viaSplitter(chunks), JSON.stringify(text)).toEqual(await viaReadline(chunks));
    }
  });

  it('stops after the chunk in which it is told to stop', async () => {
    const chunks = [Buffer.from('a\nb\nc'), Buffer.from('d\ne\n')];
    const lines: string[] = [];
    await forEachLine(Readable.from(chunks), (l) => lines.push(l), () => lines.includes('a'));
    expect(lines).toEqual(['a', 'b']);
  });

  it('throws the stream error', async () => {
    const stream = new Readable({ read() {} });
    stream.push('a\n');
    setImmediate(() => stream.destroy(new Error('boom')));
    const lines: string[] = [];
    await expect(forEachLine(stream, (l) => lines.push(l), () => false)).rejects.toThrow('boom');
    expect(lines).toEqual(['a']);
  });
});
