import { MmdbUint, encodeValue, type MmdbMap } from './data-encoder.js';

/**
 * A MaxMind DB file (format 2.0, IPv6 tree) from prefixes and their records.
 *
 * Layout (maxmind.github.io/MaxMind-DB): the search tree (node_count nodes of two records each,
 * 24, 28 or 32 bits a record, big-endian; 28-bit records keep the top 4 bits of the left and right
 * record in the high and low nibble of the middle byte), 16 zero bytes, the data section, the
 * marker "\xAB\xCD\xEFMaxMind.com", the metadata map. A record below node_count is a node, equal
 * to node_count is "no data", above it points into the data section at (record - node_count - 16).
 *
 * IPv4 lives where MaxMind puts it, at ::a.b.c.d (the subtree under 96 zero bits, where readers
 * look up IPv4 addresses); ::ffff:0:0/96 points at that same subtree, so IPv4-mapped addresses
 * find the same records (the engine reads ::ffff:a.b.c.d as a.b.c.d).
 *
 * Precedence: prefixes are inserted in the order given and a later one overwrites what an earlier
 * one put under it; give them shortest first (then worst first) for longest-prefix-wins.
 */

export interface TreeEntry {
  /** 128-bit network (IPv4 already placed at ::a.b.c.d). */
  readonly network: bigint;
  /** 0-128, counted in the IPv6 tree. */
  readonly length: number;
  /** null: no data for these addresses (an entry of an unselected category still takes them away). */
  readonly record: MmdbMap | null;
}

export interface MmdbMetadata {
  readonly databaseType: string;
  readonly description: string;
  readonly buildEpoch: bigint;
  /** Extra metadata keys (readers ignore keys they do not know). */
  readonly extra?: MmdbMap;
}

type Slot = Node | number | null; // a node, a data record index, or no data
interface Node {
  left: Slot;
  right: Slot;
}

const MARKER = [0xab, 0xcd, 0xef, ...new TextEncoder().encode('MaxMind.com')];

function insert(root: Node, network: bigint, length: number, value: number | null): void {
  let node = root;
  for (let depth = 0; depth < length; depth++) {
    const right = ((network >> BigInt(127 - depth)) & 1n) === 1n;
    if (depth === length - 1) {
      if (right) node.right = value;
      else node.left = value;
      return;
    }
    let child = right ? node.right : node.left;
    if (child === null || typeof child === 'number') {
      child = { left: child, right: child };
      if (right) node.right = child;
      else node.left = child;
    }
    node = child;
  }
}

/** The node at the end of a path of bits, created as needed (splitting a leaf keeps its value). */
function nodeAt(root: Node, bits: readonly (0 | 1)[]): Node {
  let node = root;
  for (const b of bits) {
    let child = b === 1 ? node.right : node.left;
    if (child === null || typeof child === 'number') {
      child = { left: child, right: child };
      if (b === 1) node.right = child;
      else node.left = child;
    }
    node = child;
  }
  return node;
}

export function writeMmdb(entries: readonly TreeEntry[], meta: MmdbMetadata): Uint8Array {
  // Records deduplicated by their encoding.
  const data: number[] = [];
  const offsets: number[] = [];
  const byBytes = new Map<string, number>();
  const root: Node = { left: null, right: null };
  for (const e of entries) {
    let index: number | null = null;
    if (e.record !== null) {
      const bytes = encodeValue(e.record);
      const key = String.fromCharCode(...bytes);
      index = byBytes.get(key) ?? -1;
      if (index < 0) {
        index = offsets.length;
        offsets.push(data.length);
        data.push(...bytes);
        byBytes.set(key, index);
      }
    }
    if (e.length === 0) throw new RangeError('a /0 prefix cannot be stored');
    insert(root, e.network, e.length, index);
  }
  // ::ffff:0:0/96 -> the IPv4 subtree at ::/96.
  const v4 = nodeAt(root, new Array<0>(96).fill(0));
  const mappedParent = nodeAt(root, [...new Array<0 | 1>(80).fill(0), ...new Array<0 | 1>(15).fill(1)]);
  if (mappedParent.right === null) mappedParent.right = v4;

  const numbers = new Map<Node, number>();
  const order: Node[] = [];
  const visit = (n: Node): void => {
    if (numbers.has(n)) return;
    numbers.set(n, order.length);
    order.push(n);
  };
  visit(root);
  for (let i = 0; i < order.length; i++) {
    for (const child of [order[i]!.left, order[i]!.right]) if (child !== null && typeof child !== 'number') visit(child);
  }
  const nodeCount = order.length;
  const maxRecord = nodeCount + 16 + data.length;
  const recordSize = maxRecord < 2 ** 24 ? 24 : maxRecord < 2 ** 28 ? 28 : 32;
  const value = (s: Slot): number => (s === null ? nodeCount : typeof s === 'number' ? nodeCount + 16 + offsets[s]! : numbers.get(s)!);
  const nodeBytes = (recordSize * 2) / 8;
  const tree = new Uint8Array(nodeCount * nodeBytes);
  order.forEach((n, i) => {
    const l = value(n.left);
    const r = value(n.right);
    const at = i * nodeBytes;
    if (recordSize === 24) {
      tree.set([l >>> 16, (l >>> 8) & 0xff, l & 0xff, r >>> 16, (r >>> 8) & 0xff, r & 0xff], at);
    } else if (recordSize === 28) {
      tree.set([(l >>> 16) & 0xff, (l >>> 8) & 0xff, l & 0xff, ((l >>> 20) & 0xf0) | ((r >>> 24) & 0x0f), (r >>> 16) & 0xff, (r >>> 8) & 0xff, r & 0xff], at);
    } else {
      new DataView(tree.buffer).setUint32(at, l);
      new DataView(tree.buffer).setUint32(at + 4, r);
    }
  });
  const metadata = encodeValue({
    binary_format_major_version: new MmdbUint(16, 2),
    binary_format_minor_version: new MmdbUint(16, 0),
    build_epoch: new MmdbUint(64, meta.buildEpoch),
    database_type: meta.databaseType,
    description: { en: meta.description },
    ip_version: new MmdbUint(16, 6),
    languages: ['en'],
    node_count: new MmdbUint(32, nodeCount),
    record_size: new MmdbUint(16, recordSize),
    ...meta.extra,
  });
  const file = new Uint8Array(tree.length + 16 + data.length + MARKER.length + metadata.length);
  file.set(tree, 0);
  file.set(data, tree.length + 16);
  file.set(MARKER, tree.length + 16 + data.length);
  file.set(metadata, tree.length + 16 + data.length + MARKER.length);
  return file;
}
