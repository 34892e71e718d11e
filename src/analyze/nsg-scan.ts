import { holdsAt } from './csv-line.js';

/**
 * The fast way through an Azure flow-log record (nsg-tuples.ts has the general one): nearly all
 * of a record is its `flowTuples` strings, and the rest is a few objects that the general reader
 * builds with JSON.parse only to walk down to the tuples. Here one pass over the record's text
 * checks it as JSON and notes where each tuple string of `properties.flows[].flows[].flowTuples`
 * (NSG) and `flowRecords.flows[].flowGroups[].flowTuples` (VNet) lies; the tuples are then read
 * in place, neither parsed as JSON nor split into cells. The pass is at least as strict as
 * JSON.parse: whatever it does not accept plainly (a backslash anywhere, a tuple that is not a
 * string, a key of the path given twice in one object, any fault) takes the general way, which
 * gives the answer (BAD_JSON, BAD_TUPLE) as before. Without a backslash, a JSON string runs from
 * one quote to the next: strings are skipped with indexOf.
 */

export interface Scanned {
  /** True for a VNet flow log record (`flowRecords` is an object). */
  readonly vnet: boolean;
  /** [start, end) of each tuple string in the record's text, in document order. */
  readonly ranges: Int32Array;
  readonly count: number;
}

// Where a value stands on the paths to the tuples (NONE: off them).
const NONE = 0;
const TOP = 1;
const PROPS = 2;
const N_FLOWS = 3;
const N_FLOW = 4;
const N_GROUPS = 5;
const N_GROUP = 6;
const N_TUPLES = 7;
const V_REC = 8;
const V_FLOWS = 9;
const V_FLOW = 10;
const V_GROUPS = 11;
const V_GROUP = 12;
const V_TUPLES = 13;
/** Contexts that are objects (their keys lead on) and arrays (their elements do). */
const OBJECTS = new Set([TOP, PROPS, N_FLOW, N_GROUP, V_REC, V_FLOW, V_GROUP]);
const ELEMENT: Readonly<Record<number, number>> = { [N_FLOWS]: N_FLOW, [N_GROUPS]: N_GROUP, [V_FLOWS]: V_FLOW, [V_GROUPS]: V_GROUP };
/** The key that leads on from an object context, and where it leads. */
const KEYS: Readonly<Record<number, readonly [string, number]>> = {
  [PROPS]: ['flows', N_FLOWS],
  [N_FLOW]: ['flows', N_GROUPS],
  [N_GROUP]: ['flowTuples', N_TUPLES],
  [V_REC]: ['flows', V_FLOWS],
  [V_FLOW]: ['flowGroups', V_GROUPS],
  [V_GROUP]: ['flowTuples', V_TUPLES],
};
const MAX_DEPTH = 64;
const CONTROL = /[\x00-\x1f]/;

let text = '';
let pos = 0;
let controls = false;
let vnetObject = false;
let nsgRanges = new Int32Array(512);
let nsgCount = 0;
let vnetRanges = new Int32Array(512);
let vnetCount = 0;

function blanks(): void {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c === 32 || c === 10 || c === 13 || c === 9) pos++;
    else return;
  }
}

/** Skips the string at pos (a quote); false when it is not a plain JSON string. */
function string(): boolean {
  const q = text.indexOf('"', pos + 1);
  if (q < 0) return false;
  if (controls) for (let k = pos + 1; k < q; k++) if (text.charCodeAt(k) < 32) return false;
  pos = q + 1;
  return true;
}

function digitRun(): number {
  const s = pos;
  while (text.charCodeAt(pos) >= 48 && text.charCodeAt(pos) <= 57) pos++;
  return pos - s;
}

/** JSON's number grammar, exactly. */
function number(): boolean {
  if (text.charCodeAt(pos) === 45) pos++;
  if (text.charCodeAt(pos) === 48) pos++;
  else if (digitRun() === 0) return false;
  if (text.charCodeAt(pos) === 46) {
    pos++;
    if (digitRun() === 0) return false;
  }
  const e = text.charCodeAt(pos);
  if (e === 101 || e === 69) {
    pos++;
    const sign = text.charCodeAt(pos);
    if (sign === 43 || sign === 45) pos++;
    if (digitRun() === 0) return false;
  }
  return true;
}

function tuple(ctx: number): boolean {
  const from = pos + 1;
  if (!string()) return false;
  if (ctx === N_TUPLES) {
    if (2 * nsgCount + 2 > nsgRanges.length) nsgRanges = grow(nsgRanges);
    nsgRanges[2 * nsgCount] = from;
    nsgRanges[2 * nsgCount++ + 1] = pos - 1;
  } else {
    if (2 * vnetCount + 2 > vnetRanges.length) vnetRanges = grow(vnetRanges);
    vnetRanges[2 * vnetCount] = from;
    vnetRanges[2 * vnetCount++ + 1] = pos - 1;
  }
  return true;
}

function grow(a: Int32Array) {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

function value(ctx: number, depth: number): boolean {
  blanks();
  const c = text.charCodeAt(pos);
  if (c === 34) return string();
  if (c === 123) return object(OBJECTS.has(ctx) ? ctx : NONE, depth + 1);
  if (c === 91) return array(ctx === N_TUPLES || ctx === V_TUPLES || ELEMENT[ctx] !== undefined ? ctx : NONE, depth + 1);
  if (c === 116) return literal('true');
  if (c === 102) return literal('false');
  if (c === 110) return literal('null');
  return number();
}

function literal(word: string): boolean {
  if (!holdsAt(text, pos, word)) return false;
  pos += word.length;
  return true;
}

function keyIs(from: number, to: number, word: string): boolean {
  return to - from === word.length && holdsAt(text, from, word);
}

function object(ctx: number, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  pos++;
  blanks();
  if (text.charCodeAt(pos) === 125) {
    pos++;
    return true;
  }
  // Keys of the path seen in this object: a second one would make JSON.parse keep the last.
  let seen = 0;
  for (;;) {
    if (text.charCodeAt(pos) !== 34) return false;
    const from = pos + 1;
    if (!string()) return false;
    const to = pos - 1;
    let next = NONE;
    let bit = 0;
    if (ctx === TOP) {
      if (keyIs(from, to, 'properties')) {
        next = PROPS;
        bit = 1;
      } else if (keyIs(from, to, 'flowRecords')) {
        next = V_REC;
        bit = 2;
      }
    } else if (ctx !== NONE) {
      const k = KEYS[ctx]!;
      if (keyIs(from, to, k[0])) {
        next = k[1];
        bit = 4;
      }
    }
    if (bit !== 0) {
      if ((seen & bit) !== 0) return false;
      seen |= bit;
    }
    blanks();
    if (text.charCodeAt(pos) !== 58) return false;
    pos++;
    if (next === V_REC) {
      blanks();
      vnetObject = text.charCodeAt(pos) === 123;
    }
    if (!value(next, depth)) return false;
    blanks();
    const c = text.charCodeAt(pos++);
    if (c === 125) return true;
    if (c !== 44) return false;
    blanks();
  }
}

function array(ctx: number, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  pos++;
  blanks();
  if (text.charCodeAt(pos) === 93) {
    pos++;
    return true;
  }
  const tuples = ctx === N_TUPLES || ctx === V_TUPLES;
  const element = ELEMENT[ctx] ?? NONE;
  for (;;) {
    if (tuples) {
      blanks();
      // A tuple that is not a string: the general reader names it.
      if (text.charCodeAt(pos) !== 34 || !tuple(ctx)) return false;
    } else if (!value(element, depth)) return false;
    blanks();
    const c = text.charCodeAt(pos++);
    if (c === 93) return true;
    if (c !== 44) return false;
  }
}

/** Where the tuples of `json` lie, or null when the record must take the general way. */
export function scanRecord(json: string): Scanned | null {
  if (json.indexOf('\\') >= 0) return null;
  text = json;
  pos = 0;
  // A compact record has no control character at all (one native scan); a pretty-printed one has
  // line breaks between tokens, so its strings are looked at one character at a time.
  controls = CONTROL.test(json);
  vnetObject = false;
  nsgCount = 0;
  vnetCount = 0;
  blanks();
  const ok = text.charCodeAt(pos) === 123 && object(TOP, 0);
  blanks();
  const done = ok && pos === json.length;
  text = '';
  if (!done) return null;
  return vnetObject ? { vnet: true, ranges: vnetRanges, count: vnetCount } : { vnet: false, ranges: nsgRanges, count: nsgCount };
}
