import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { M365Error } from '../core/errors.js';

/** Shorter tokens are refused at start-up: a bearer token is the only lock on the service. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * A set of bearer tokens. Only SHA-256 digests are kept and compared: a lookup in a set of
 * digests leaks nothing usable about a token through timing.
 */
export class TokenSet {
  private readonly digests: Set<string>;

  constructor(tokens: readonly string[]) {
    this.digests = new Set(tokens.map(digest));
  }

  get size(): number {
    return this.digests.size;
  }

  /** True when `authorization` is `Bearer <token>` with a token of this set. */
  accepts(authorization: string | undefined): boolean {
    if (authorization === undefined || authorization.length < 8) return false;
    if (authorization.slice(0, 7).toLowerCase() !== 'bearer ') return false;
    return this.digests.has(digest(authorization.slice(7).trim()));
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/** Tokens of a file: one per line; blank lines and lines starting with '#' are skipped. */
export function parseTokens(text: string, origin: string): string[] {
  const tokens: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (line.length < MIN_TOKEN_LENGTH || /\s/.test(line)) {
      throw new M365Error(
        'M365FC_ERR_CONFIG_BAD_OPTION',
        `${origin}:${i + 1}: a token must be at least ${MIN_TOKEN_LENGTH} characters without spaces`,
        { option: 'token-file', line: i + 1 },
      );
    }
    tokens.push(line);
  }
  if (tokens.length === 0) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `${origin}: no token in the file`, { option: 'token-file' });
  }
  return tokens;
}

export function readTokenFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new M365Error('M365FC_ERR_CONFIG_BAD_OPTION', `cannot read token file ${path}: ${(err as Error).message}`, {
      option: 'token-file',
      value: path,
    });
  }
  return parseTokens(text, path);
}
