import { M365Error } from '../core/errors.js';

/**
 * Bytes of a saved or received response → text. Windows tools save UTF-16LE with a BOM
 * (PowerShell's Out-File) or UTF-8 with a BOM; both load, as does plain UTF-8.
 */
export function decodeText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const b = input;
  try {
    if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) {
      return new TextDecoder('utf-16le', { fatal: true }).decode(b.subarray(2));
    }
    if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) {
      return new TextDecoder('utf-16be', { fatal: true }).decode(b.subarray(2));
    }
    const start = b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
    return new TextDecoder('utf-8', { fatal: true }).decode(b.subarray(start));
  } catch (err) {
    throw new M365Error('M365FC_ERR_INGEST_BAD_ENCODING', `The data is not valid UTF-8 or UTF-16 text: ${(err as Error).message}`);
  }
}

/** Decodes and parses JSON, with a coded error that says where the text stopped making sense. */
export function parseJsonText(input: string | Uint8Array): unknown {
  const text = decodeText(input);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new M365Error('M365FC_ERR_INGEST_BAD_JSON', `The data is not valid JSON (${text.length} characters): ${(err as Error).message}`, {
      length: text.length,
    });
  }
}
