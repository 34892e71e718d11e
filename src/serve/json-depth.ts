import { M365Error } from '../core/errors.js';

/**
 * Nesting limit for JSON bodies and WebSocket messages, checked before JSON.parse.
 *
 * The deepest document the contract describes is `{"flows":[{...}]}` (depth 3; a flow's fields
 * are scalars). A 2 MB `[[[...]]]` costs JSON.parse about 50x a normal 10,000-flow batch
 * (issue 16), so depth is refused by a scan that stops at the first bracket too deep: its time
 * is at most linear in the bytes, and it skips string contents with indexOf (native memchr)
 * rather than visiting every character. It costs about a third of JSON.parse on a normal body
 * (10,000 flows, 817 KiB: 3.7 ms against 11 ms on the shared 2-core test machine), against
 * 500 ms of JSON.parse for the 2 MB `[[[...]]]` it refuses in microseconds.
 */

/** Depth 3 is the contract's; the margin lets an unknown field carry a small object without a
 * depth error hiding the schema error it deserves. */
export const MAX_JSON_DEPTH = 8;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** Index just past the string that opens at `start` (a quote), or text.length if unterminated. */
function skipString(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    // The quote is escaped when an odd number of backslashes precede it.
    let b = q - 1;
    while (b >= i && text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/** True when `text` holds an array or object nested deeper than `max`. Malformed JSON is left
 * to JSON.parse: this only counts brackets outside strings. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = skipString(text, i) - 1;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > max) return true;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return false;
}

/** JSON.parse behind the depth check; a too deep text throws M365FC_ERR_SERVE_JSON_TOO_DEEP. */
export function parseJsonLimited(text: string, max = MAX_JSON_DEPTH): unknown {
  if (nestsDeeperThan(text, max)) {
    throw new M365Error('M365FC_ERR_SERVE_JSON_TOO_DEEP', `The JSON nests deeper than ${max} levels; the contract needs 3`, { maxDepth: max });
  }
  return JSON.parse(text) as unknown;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * The raw text of the value of member `key` of the top-level object, when it is a JSON number,
 * else null. JSON.parse rounds integers beyond 2^53; an id echoed from this text is the one the
 * client sent, digit for digit. With the key repeated, the last one counts, as in JSON.parse.
 */
export function rawTopLevelNumber(text: string, key: string): string | null {
  const want = JSON.stringify(key);
  let found: string | null = null;
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = skipString(text, i);
      if (depth === 1 && text.slice(i, end) === want) {
        let j = end;
        while (j < n && /\s/.test(text[j] as string)) j++;
        if (text[j] === ':') {
          let k = j + 1;
          while (k < n && /\s/.test(text[k] as string)) k++;
          let e = k;
          while (e < n && /[-+.\deE]/.test(text[e] as string)) e++;
          const raw = text.slice(k, e);
          found = JSON_NUMBER.test(raw) ? raw : null;
        }
      }
      i = end - 1;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      depth++;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    }
  }
  return found;
}
