/**
 * The data section encoding of the MaxMind DB format 2.0 (maxmind.github.io/MaxMind-DB): each
 * value is a control byte (type in the top 3 bits, size in the low 5), an extended type byte for
 * types above 7, size bytes when the size is 29 or more, then the payload. Only the types our
 * records need: UTF-8 string (2), map (7), uint16 (5), uint32 (6), uint64 (9), array (11),
 * boolean (14). No pointers: records are deduplicated whole, so nothing is written twice that a
 * pointer would save (a few hundred records of about 150 bytes each).
 */

export class MmdbUint {
  constructor(
    readonly bits: 16 | 32 | 64,
    readonly value: number | bigint,
  ) {}
}

export type MmdbValue = string | boolean | MmdbUint | readonly MmdbValue[] | MmdbMap;
export interface MmdbMap {
  readonly [key: string]: MmdbValue;
}

const TYPE = { string: 2, map: 7, uint16: 5, uint32: 6, uint64: 9, array: 11, boolean: 14 } as const;

function control(type: number, size: number): number[] {
  const out: number[] = [];
  const head = type <= 7 ? type << 5 : 0;
  const ext = type <= 7 ? [] : [type - 7];
  if (size < 29) return [head | size, ...ext];
  if (size < 285) return [head | 29, ...ext, size - 29];
  if (size < 65_821) {
    const s = size - 285;
    return [head | 30, ...ext, s >> 8, s & 0xff];
  }
  const s = size - 65_821;
  if (s >= 1 << 24) throw new RangeError(`MMDB value of ${size} bytes or entries is too large`);
  out.push(head | 31, ...ext, (s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  return out;
}

/** Big-endian bytes with leading zero bytes dropped (the spec's uint encoding; zero is no bytes). */
function uintBytes(v: bigint): number[] {
  const out: number[] = [];
  for (let x = v; x > 0n; x >>= 8n) out.unshift(Number(x & 0xffn));
  return out;
}

const utf8 = new TextEncoder();

export function encodeValue(value: MmdbValue, out: number[] = []): number[] {
  if (typeof value === 'string') {
    const bytes = utf8.encode(value);
    out.push(...control(TYPE.string, bytes.length));
    for (const b of bytes) out.push(b);
  } else if (typeof value === 'boolean') {
    out.push(...control(TYPE.boolean, value ? 1 : 0));
  } else if (value instanceof MmdbUint) {
    const v = BigInt(value.value);
    if (v < 0n || v >= 1n << BigInt(value.bits)) throw new RangeError(`${v} does not fit uint${value.bits}`);
    const bytes = uintBytes(v);
    out.push(...control(value.bits === 16 ? TYPE.uint16 : value.bits === 32 ? TYPE.uint32 : TYPE.uint64, bytes.length), ...bytes);
  } else if (Array.isArray(value)) {
    const list = value as readonly MmdbValue[];
    out.push(...control(TYPE.array, list.length));
    for (const item of list) encodeValue(item, out);
  } else {
    const entries = Object.entries(value as MmdbMap);
    out.push(...control(TYPE.map, entries.length));
    for (const [k, v] of entries) {
      encodeValue(k, out);
      encodeValue(v, out);
    }
  }
  return out;
}
